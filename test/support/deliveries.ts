import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A fresh Standard Webhooks secret in the form SUPABASE_WEBHOOK_SECRET takes. */
export function newWebhookSecret(): string {
  return `v1,whsec_${randomBytes(32).toString('base64')}`;
}

/** Headers of a signed delivery of `body`, as Supabase's Standard Webhooks sender makes them. */
export function signedHeaders(secret: string, body: string, options: { id?: string; at?: Date } = {}): Record<string, string> {
  const id = options.id ?? randomUUID();
  const at = options.at ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret.replace(/^v1,/, '')).sign(id, at, body),
  };
}

/** A Supabase user object (admin API names) with a given version. */
export function supabaseUser(id: string, updatedAt: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    aud: 'authenticated',
    role: 'authenticated',
    email: `${id.slice(0, 8)}@example.com`,
    phone: '',
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: {},
    created_at: '2026-01-01T00:00:00.000000Z',
    updated_at: updatedAt,
    is_anonymous: false,
    ...overrides,
  };
}

/** A raw auth.users row, as a Database Webhook sends it (sensitive columns included). */
export function rawUserRow(id: string, updatedAt: string, overrides: Record<string, unknown> = {}) {
  return {
    instance_id: '00000000-0000-0000-0000-000000000000',
    id,
    aud: 'authenticated',
    role: 'authenticated',
    email: `${id.slice(0, 8)}@example.com`,
    encrypted_password: '$2a$10$abcdefghijklmnopqrstuuZJ3rZ6Oq3Yl1yVfV3G1uX7hLbqQm8e',
    email_confirmed_at: '2026-01-01T00:00:01.5+00:00',
    confirmation_token: 'secret-confirmation-token',
    recovery_token: '',
    raw_app_meta_data: { provider: 'email', providers: ['email'] },
    raw_user_meta_data: { first_name: 'Raw' },
    created_at: '2026-01-01T00:00:00+00:00',
    updated_at: updatedAt,
    phone: '447700900123',
    phone_confirmed_at: null,
    last_sign_in_at: null,
    banned_until: null,
    deleted_at: null,
    is_anonymous: false,
    ...overrides,
  };
}
