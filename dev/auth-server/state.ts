// The one state object of a running stand-in, shared by the router and every route: its
// settings (from AuthServerOptions), its keys, its users and what hangs off them.
import type { EventEmitter } from 'node:events';
import type { AddressRateLimit } from './address-rate-limit.js';
import type { DeliveryQueue } from './deliveries.js';
import type { EmailFlows } from './email-flows.js';
import type { FaultList } from './faults.js';
import type { JwtKeys, SigningMode } from './jwt.js';
import type { Mailbox } from './mailbox.js';
import type { PhoneFlows } from './phone-flows.js';
import type { Store } from './store.js';

export interface AuthState {
  signing: SigningMode;
  /** "Confirm email" off (GOTRUE_MAILER_AUTOCONFIRM). */
  autoconfirm: boolean;
  /** "Confirm phone" off (GOTRUE_SMS_AUTOCONFIRM). */
  smsAutoconfirm: boolean;
  /** Access token lifetime in seconds. */
  ttl: number;
  minPasswordLength: number;
  quiet: boolean;
  /** GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL, in milliseconds. */
  reuseIntervalMs: number;
  jwt: JwtKeys;
  /** Emits 'user.changed' after every change of a user row. */
  events: EventEmitter;
  store: Store;
  mailbox: Mailbox;
  emailFlow: EmailFlows;
  phoneFlow: PhoneFlows;
  /** Per-address request limits, one per limited route. */
  limits: Record<'token' | 'verify' | 'signup' | 'recover' | 'resend' | 'otp' | 'user', AddressRateLimit>;
  /** GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED: the client's address is the Sb-Forwarded-For one. */
  sbForwardedFor: boolean;
  deliveries: DeliveryQueue;
  faults: FaultList;
  /** Requests by "METHOD /auth/v1/path" (no query). */
  counters: Map<string, number>;
  /** authmirror.revoke_session: deletes one session (and its refresh tokens); whether there was one. */
  endSession: (sessionId: string) => Promise<boolean>;
  /** `${url}/auth/v1`, known once the server listens (the tokens' iss, the email links' base). */
  issuer: string;
}
