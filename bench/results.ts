// What the sections found, filled in as they run; the report reads it (report/).
import type { AdminResult } from './admin.js';
import type { DeletionResult } from './deletion.js';
import type { DeliveriesResult } from './deliveries.js';
import type { IntakeResult } from './intake.js';
import type { LookupResult } from './lookup.js';
import type { Measurement } from './measure.js';
import type { ReconcileOutcome } from './reconcile.js';
import type { SqlReconcileResult } from './reconcile-sql.js';

export interface Results {
  measurements: Partial<
    Record<'apiMe' | 'beforeAccessMe' | 'minimalMe' | 'guardMe' | 'apiSync' | 'apiDeliveries' | 'apiLookup' | 'apiSignup', Measurement>
  >;
  deliveries: Omit<DeliveriesResult, 'measurement'> | null;
  deletion: DeletionResult | null;
  reconcile: ReconcileOutcome | null;
  lookup: Omit<LookupResult, 'measurement'> | null;
  signup: { non201: number } | null;
  intake: IntakeResult | null;
  sqlReconcile: SqlReconcileResult | null;
  admin: AdminResult | null;
  /** GET /users/me req/s of each round on the API and on it without its access checks, in the order measured. */
  accessChecks: { rounds: Array<{ checks: boolean; requestsPerSecond: number }> } | null;
}

export function emptyResults(): Results {
  return {
    measurements: {},
    deliveries: null,
    deletion: null,
    reconcile: null,
    lookup: null,
    signup: null,
    intake: null,
    sqlReconcile: null,
    admin: null,
    accessChecks: null,
  };
}
