import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type ApiError, apiError } from '../common/errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';

export type DeliveryForm = 'signed' | 'database';

export interface AuthenticDelivery {
  form: DeliveryForm;
  /** `webhook-id` for signed events; a SHA-256 of the body for Database Webhooks (they carry no id). */
  deliveryId: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const found = headers[name];
  return Array.isArray(found) ? found[0] : found;
}

function sha256(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

function invalidSignature(message: string): ApiError {
  return apiError('invalid_signature', { message });
}

const MAX_ID_LENGTH = 200;

/** Standard Webhooks' tolerance for the timestamp, either way. */
const TOLERANCE_SECONDS = 5 * 60;

/**
 * Standard Webhooks signature or Database Webhook bearer token (docs/security.md, "Deliveries"). Verified here over the raw
 * bytes: the `standardwebhooks` package decodes them as UTF-8 first, so non-UTF-8 bytes would not be what was signed.
 */
@Injectable()
export class DeliveryAuthenticator {
  private readonly keys: Buffer[];
  private readonly dbTokenDigest: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = config.webhooks.secrets.map((secret) => Buffer.from(secret.replace(/^(v1,)?whsec_/, ''), 'base64'));
    const token = config.webhooks.dbWebhookToken;
    this.dbTokenDigest = token ? sha256(token) : null;
  }

  authenticate(headers: Headers, body: Buffer): AuthenticDelivery {
    const signature = header(headers, 'webhook-signature');
    if (signature !== undefined) return this.verifySigned(headers, body);
    const authorization = header(headers, 'authorization');
    if (authorization !== undefined) return this.verifyBearer(authorization, body);
    throw invalidSignature('The delivery carries neither a webhook signature nor a bearer token');
  }

  private verifySigned(headers: Headers, body: Buffer): AuthenticDelivery {
    if (this.keys.length === 0) throw invalidSignature('Signed deliveries are not enabled (SUPABASE_WEBHOOK_SECRET is unset)');
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp') ?? '';
    const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    // Ids are recorded as sent (a longer one would be cut, and two could then collide).
    if (id !== undefined && id.length > MAX_ID_LENGTH) throw invalidSignature('The webhook id is too long');
    const fresh = Math.abs(Date.now() / 1000 - seconds) <= TOLERANCE_SECONDS;
    const given = (header(headers, 'webhook-signature') ?? '')
      .split(' ')
      .filter((signature) => signature.startsWith('v1,'))
      .map((signature) => Buffer.from(signature.slice(3), 'base64'));
    // Header values arrive as latin1 text: encoded back the same way, they are the bytes that were signed.
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'latin1'), body]);
    const valid =
      id !== undefined &&
      fresh &&
      this.keys.some((key) => {
        const expected = createHmac('sha256', key).update(signed).digest();
        return given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
      });
    if (!valid || !id) throw invalidSignature('The webhook signature is invalid or its timestamp is outside the 5-minute tolerance');
    return { form: 'signed', deliveryId: `signed:${id}` };
  }

  private verifyBearer(authorization: string, body: Buffer): AuthenticDelivery {
    if (!this.dbTokenDigest) throw invalidSignature('Database Webhook deliveries are not enabled (SUPABASE_DB_WEBHOOK_TOKEN is unset)');
    const match = /^Bearer (.+)$/i.exec(authorization.trim());
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (!match || !timingSafeEqual(sha256(match[1]), this.dbTokenDigest)) {
      throw invalidSignature('The bearer token of the Database Webhook is wrong');
    }
    return { form: 'database', deliveryId: `database:${sha256(body).toString('hex')}` };
  }
}
