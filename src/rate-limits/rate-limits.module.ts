import { Global, Module } from '@nestjs/common';
import { RateLimitStore } from './rate-limit.store.js';
import { RateLimitsService } from './rate-limits.service.js';

@Global()
@Module({
  providers: [RateLimitStore, RateLimitsService],
  exports: [RateLimitsService],
})
export class RateLimitsModule {}
