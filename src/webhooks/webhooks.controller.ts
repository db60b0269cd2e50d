import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { DeliveryResponse } from './dto/delivery-response.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('supabase')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Supabase deliveries: Database Webhooks on auth.users (bearer token) or Standard Webhooks-signed user events',
  })
  @ApiHeader({ name: 'webhook-id', required: false, description: 'Signed form' })
  @ApiHeader({ name: 'webhook-timestamp', required: false, description: 'Signed form' })
  @ApiHeader({ name: 'webhook-signature', required: false, description: 'Signed form' })
  @ApiHeader({ name: 'authorization', required: false, description: 'Database Webhook form: Bearer <SUPABASE_DB_WEBHOOK_TOKEN>' })
  @ApiOkResponse({ type: DeliveryResponse, description: 'Applied, or already applied (a repeat changes nothing)' })
  @ApiAcceptedResponse({ type: DeliveryResponse, description: 'Accepted but ignored: another table or an unknown event type' })
  @ApiBadRequestResponse({ type: ErrorResponse, description: '`invalid_payload`' })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: '`invalid_signature`: bad or missing credentials, stale timestamp' })
  @ApiServiceUnavailableResponse({ type: ErrorResponse, description: '`database_unavailable`: retry later' })
  async receive(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers() headers: Record<string, string>,
  ): Promise<DeliveryResponse> {
    const { status, response } = await this.webhooks.receive(headers, rawBodyOf(request));
    reply.status(status);
    return response;
  }
}

function rawBodyOf(request: FastifyRequest): Buffer {
  const raw = (request as FastifyRequest & { rawBody?: Buffer }).rawBody;
  return Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
}
