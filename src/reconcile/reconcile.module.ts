import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { DatabaseListing } from './database-listing.js';
import { ReconcilePages } from './reconcile-pages.js';
import { ReconcileRepository } from './reconcile.repository.js';
import { ReconcileService } from './reconcile.service.js';

/** The mirror made equal to Supabase's user list: scheduled, and run by the CLI (src/cli/reconcile.ts). */
@Module({
  imports: [UsersModule],
  providers: [ReconcileService, ReconcilePages, ReconcileRepository, DatabaseListing],
  exports: [ReconcileService],
})
export class ReconcileModule {}
