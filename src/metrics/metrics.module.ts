import { Global, Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { CanaryService } from './canary.service.js';
import { CanaryWatch } from './canary-watch.js';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { Metrics } from './metrics.js';
import { StateGauges } from './state-gauges.js';

/**
 * `GET /metrics` (Prometheus) and what feeds it. Global: the modules that count things (guard, syncs, intakes, reconcile,
 * jobs) inject Metrics, and the mirror's apply functions CanaryWatch, without importing this module.
 */
@Global()
@Module({
  imports: [AccessModule],
  controllers: [MetricsController],
  providers: [Metrics, StateGauges, HttpMetrics, MetricsEndpoint, CanaryWatch, CanaryService],
  exports: [Metrics, CanaryWatch],
})
export class MetricsModule {}
