import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ApiError } from '../common/api-error.js';
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
  return new ApiError(401, 'invalid_signature', message);
}

/**
 * Decides whether a delivery comes from Supabase: a Standard Webhooks signature (HMAC-SHA256 over
 * `id.timestamp.body`, any of the configured secrets, 5-minute tolerance, checked by the
 * `standardwebhooks` package), or the Database Webhook bearer token (compared in constant time).
 */
@Injectable()
export class DeliveryAuthenticator {
  private readonly verifiers: Webhook[];
  private readonly dbTokenDigest: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.verifiers = config.webhooks.secrets.map((secret) => new Webhook(secret.replace(/^v1,/, '')));
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
    if (this.verifiers.length === 0) throw invalidSignature('Signed deliveries are not enabled (SUPABASE_WEBHOOK_SECRET is unset)');
    const id = header(headers, 'webhook-id');
    const signed = {
      'webhook-id': id ?? '',
      'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
      'webhook-signature': header(headers, 'webhook-signature') ?? '',
    };
    const valid = this.verifiers.some((verifier) => {
      try {
        verifier.verify(body, signed, { jsonParse: false });
        return true;
      } catch {
        return false;
      }
    });
    if (!valid || !id) throw invalidSignature('The webhook signature is invalid or its timestamp is outside the 5-minute tolerance');
    return { form: 'signed', deliveryId: `signed:${id.slice(0, 200)}` };
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
