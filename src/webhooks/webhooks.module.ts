import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { DeliveryAuthenticator } from './delivery-authenticator.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Receives Supabase deliveries and routes them to the users module's apply and delete functions. */
@Module({
  imports: [UsersModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, DeliveryAuthenticator],
  exports: [WebhooksService],
})
export class WebhooksModule {}
