// Where deliveries go and how: a target as given by a test or `npm start`, checked once and
// resolved into what the sender needs (URL, signer or bearer token, attempts and timeouts).
import { Webhook } from 'standardwebhooks';
import type { DeliveryForm } from './delivery-payloads.js';

export interface DeliveryTarget {
  /** Receiver URL, e.g. http://127.0.0.1:3000/webhooks/supabase */
  url: string;
  form: DeliveryForm;
  /** Signed form: Standard Webhooks secret "v1,whsec_<base64>" (or "whsec_<base64>"). */
  secret?: string;
  /** Database form: sent as `Authorization: Bearer <dbToken>` (no header when omitted). */
  dbToken?: string;
  /** Signed form only (the database form never retries); default 5. */
  maxAttempts?: number;
  /** Wait before the 2nd attempt, doubling after each; default 200. */
  backoffMs?: number;
  /** Per-attempt timeout; default 5000. */
  timeoutMs?: number;
}

export interface ResolvedTarget {
  url: URL;
  form: DeliveryForm;
  webhook: Webhook | null;
  authorization: string | null;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
}

export function positiveInt(v: number | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new TypeError(`deliveries: ${name} must be an integer >= ${min}`);
  return v;
}

export function resolveTarget(t: DeliveryTarget): ResolvedTarget {
  let url: URL;
  try {
    url = new URL(t.url);
  } catch {
    throw new TypeError('deliveries: url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('deliveries: url must be http(s)');
  if (t.form !== 'database' && t.form !== 'signed') throw new TypeError("deliveries: form must be 'database' or 'signed'");
  let webhook: Webhook | null = null;
  if (t.form === 'signed') {
    if (!t.secret) throw new TypeError('deliveries: the signed form needs a secret');
    try {
      webhook = new Webhook(t.secret.replace(/^v1,/, ''));
    } catch {
      throw new TypeError('deliveries: secret must look like "v1,whsec_<base64>"'); // never echo the secret
    }
  }
  return {
    url,
    form: t.form,
    webhook,
    authorization: t.form === 'database' && t.dbToken ? `Bearer ${t.dbToken}` : null,
    maxAttempts: t.form === 'database' ? 1 : positiveInt(t.maxAttempts, 'maxAttempts', 5, 1),
    backoffMs: positiveInt(t.backoffMs, 'backoffMs', 200, 0),
    timeoutMs: positiveInt(t.timeoutMs, 'timeoutMs', 5000, 1),
  };
}
