import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { DatabaseWebhookBody, SignedEventBody } from './dto/delivery-bodies.dto.js';
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
  @ApiExtraModels(DatabaseWebhookBody, SignedEventBody)
  @ApiBody({
    description: 'One of two forms, told apart by their credentials',
    schema: { oneOf: [{ $ref: getSchemaPath(SignedEventBody) }, { $ref: getSchemaPath(DatabaseWebhookBody) }] },
  })
  @ApiHeader({ name: 'webhook-id', required: false, description: 'Signed form: the delivery id' })
  @ApiHeader({ name: 'webhook-timestamp', required: false, description: 'Signed form: Unix seconds (5-minute tolerance)' })
  @ApiHeader({
    name: 'webhook-signature',
    required: false,
    description: 'Signed form: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, several separated by spaces',
  })
  @ApiOkResponse({ type: DeliveryResponse, description: 'Applied, or already applied (`duplicate`: a repeat changes nothing)' })
  @ApiAcceptedResponse({ type: DeliveryResponse, description: 'Accepted but ignored: another table or an unknown event type' })
  @ApiErrors('invalid_payload', 'invalid_signature')
  async receive(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<DeliveryResponse> {
    const { status, response } = await this.webhooks.receive(request.headers, rawBodyOf(request));
    reply.status(status);
    return response;
  }
}

function rawBodyOf(request: FastifyRequest): Buffer {
  const raw = (request as FastifyRequest & { rawBody?: Buffer }).rawBody;
  return Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
}
