// Signed Supabase deliveries (Standard Webhooks form) as the sender makes them: a `whsec_` secret,
// `webhook-id` / `webhook-timestamp` / `webhook-signature` headers over the exact body bytes.
// Signing is the sender's cost: the benchmark signs everything before it measures.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** SUPABASE_WEBHOOK_SECRET as Supabase shows it: "v1,whsec_<base64 of 32 random bytes>". */
export function newWebhookSecret(): string {
  return `v1,whsec_${randomBytes(32).toString('base64')}`;
}

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

export class DeliverySigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    this.webhook = new Webhook(secret.replace(/^v1,/, ''));
  }

  /** Signs `payload` with `id`, timestamped now (the receiver allows 5 minutes either way). */
  sign(id: string, payload: unknown, at = new Date()): SignedDelivery {
    const body = JSON.stringify(payload);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': this.webhook.sign(id, at, body),
      },
    };
  }
}

/** RFC 3339 with microseconds, as Supabase writes `updated_at`: `2026-01-02T03:04:05.123456Z`. */
export function rfc3339Micros(epochMicros: bigint): string {
  const millis = epochMicros / 1000n;
  const micros = Number(epochMicros % 1000n);
  return new Date(Number(millis)).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

export function nowMicros(): bigint {
  return BigInt(Date.now()) * 1000n;
}

/** POSTs one signed delivery; returns the status and the parsed body. */
export async function postDelivery(
  url: string,
  delivery: SignedDelivery,
): Promise<{ status: number; body: Record<string, unknown> | string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: text };
  }
}
