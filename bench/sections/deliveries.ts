// Section `deliveries`: signed (Standard Webhooks) user.updated deliveries to
// POST /webhooks/supabase, pre-signed, each sent once (deliveries.ts).
import { measureDeliveries } from '../deliveries.js';
import { log } from '../log.js';
import type { SectionContext } from './context.js';

export async function runDeliveries(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  const total = settings.deliveryUsers * settings.deliveryRounds;
  log(
    `measuring signed deliveries on the API: ${settings.deliveryUsers} users × ${settings.deliveryRounds} events = ${total} requests ` +
      `(warm-up: ${settings.deliveryWarmupUsers * settings.deliveryRounds})`,
  );
  const { measurement, ...rest } = await context.profiled('deliveries', () =>
    measureDeliveries({
      name: 'API  POST /webhooks/supabase (signed)',
      apiUrl: stack.apiUrl!,
      databaseUrl: stack.databaseUrl,
      secret: stack.webhookSecret,
      runId: context.runId,
      users: settings.deliveryUsers,
      rounds: settings.deliveryRounds,
      warmupUsers: settings.deliveryWarmupUsers,
      connections: settings.connections,
      cpu: context.cpu(stack.pids.api),
    }),
  );
  results.measurements.apiDeliveries = measurement;
  results.deliveries = rest;
}
