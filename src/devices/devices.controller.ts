import { Body, Controller, Delete, Get, HttpCode, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, GUARD_REFUSALS } from '../common/api-errors.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { apiError } from '../common/errors.js';
import { isUuid } from '../common/uuid.js';
import { DevicesService } from './devices.service.js';
import { DeviceListResponse, DeviceResponse, RenameDeviceRequest } from './dto/device.dto.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('users/me/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({ summary: "The caller's signed-in devices (one per Supabase session), most recently seen first" })
  @ApiOkResponse({ type: DeviceListResponse, description: '`current` marks the device whose token made the request' })
  @ApiErrors(...GUARD_REFUSALS, 'anonymous_user')
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<DeviceListResponse> {
    return { items: await this.devices.list(caller) };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Name one of your devices' })
  @ApiOkResponse({ type: DeviceResponse, description: 'The renamed device' })
  @ApiErrors('validation_failed', ...GUARD_REFUSALS, 'anonymous_user', 'device_not_found')
  async rename(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id') id: string,
    @Body() body: RenameDeviceRequest,
  ): Promise<DeviceResponse> {
    return { device: await this.devices.rename(caller, deviceId(id), body.name) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign one of your devices out',
    description:
      "Its tokens are refused at once on every instance (401 `session_revoked`) and its session is ended in Supabase, so its refresh token stops working. Another user's device id answers 404, like an unknown one.",
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(...GUARD_REFUSALS, 'anonymous_user', 'device_not_found')
  async revoke(@CurrentUser() caller: AuthenticatedUser, @Param('id') id: string): Promise<void> {
    await this.devices.revoke(caller, deviceId(id));
  }
}

/** A device id is a session id; anything else names no device (404, as a device of someone else does). */
function deviceId(raw: string): string {
  if (!isUuid(raw)) throw apiError('device_not_found');
  return raw.toLowerCase();
}
