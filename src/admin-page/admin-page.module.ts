import { Module } from '@nestjs/common';
import { AdminPageAssets } from './admin-page-assets.js';
import { AdminPageController } from './admin-page.controller.js';

/** GET /admin: the operator page (sign-in, user search, a user's timeline, figures, dead letters) over the admin API. */
@Module({
  controllers: [AdminPageController],
  providers: [AdminPageAssets],
})
export class AdminPageModule {}
