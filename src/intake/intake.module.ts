import { Module } from '@nestjs/common';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { PullIntakeService } from './pull-intake.service.js';
import { UserChangesRepository } from './user-changes.repository.js';

/** The pull intake: with SUPABASE_DB_URL set, user changes are read from the outbox in the Supabase database. */
@Module({
  imports: [WebhooksModule],
  providers: [PullIntakeService, UserChangesRepository],
  exports: [PullIntakeService],
})
export class IntakeModule {}
