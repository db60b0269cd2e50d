import { Module } from '@nestjs/common';

/**
 * Receives Supabase deliveries (Database Webhooks on auth.users and signed events) and routes
 * them to the users module's apply and delete functions. Its endpoint arrives with the
 * deliveries issue; the module is registered now so the app's shape is final.
 */
@Module({})
export class WebhooksModule {}
