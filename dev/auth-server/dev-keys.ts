// Fixed DEVELOPMENT keys for the local Supabase Auth stand-in.
//
// These are committed on purpose: like the Supabase CLI's well-known local keys they are
// public, protect nothing, and must never be used for a real project. `isDevKey` lets
// production configuration code refuse them.

import {
  DEVELOPMENT_ANON_KEY,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_PUBLISHABLE_KEY,
  DEVELOPMENT_SECRET_KEY,
  DEVELOPMENT_SERVICE_ROLE_KEY,
} from '../../src/config/development-keys.js';

/** ES256 private key (P-256) used to sign access tokens in the default 'es256' mode. */
const ES256_PRIVATE_JWK = Object.freeze({
  kty: 'EC',
  crv: 'P-256',
  x: 'JpmHTxRaMAN_wpt8pA5GowV0sNm8eRNngI5sh5nRa9s',
  y: '3UTjoJw7r_sfs-2PWAGE2wzOwIwplPDxcgwmqsSWZxs',
  d: 'DA9Xgi-6D41b-n9Rfiy5EFl5ImlZhwArSXSbHnuuSxE',
  kid: '4c754800-920f-48e0-8f35-8e732a8f0035',
  alg: 'ES256',
} as const);

/** The public half of ES256_PRIVATE_JWK, exactly as served by the JWKS endpoint. */
const ES256_PUBLIC_JWK = Object.freeze({
  kty: 'EC',
  crv: 'P-256',
  x: ES256_PRIVATE_JWK.x,
  y: ES256_PRIVATE_JWK.y,
  kid: ES256_PRIVATE_JWK.kid,
  alg: 'ES256',
  use: 'sig',
  key_ops: Object.freeze<string[]>(['verify']),
} as const);

export interface DevKeys {
  /** Legacy HS256 JWT secret (the Supabase CLI's default). */
  readonly jwtSecret: string;
  /** Legacy anon key: HS256 JWT {iss:"supabase-demo", role:"anon", exp:1983812996}. */
  readonly anonKey: string;
  /** Legacy service role key: HS256 JWT {iss:"supabase-demo", role:"service_role", exp:1983812996}. */
  readonly serviceRoleKey: string;
  /** New-style publishable key (behaves like the anon key). */
  readonly publishableKey: string;
  /** New-style secret key (behaves like the service role key). */
  readonly secretKey: string;
  /** Key id of the ES256 signing key (present in token headers and in the JWKS). */
  readonly kid: string;
  /** ES256 private JWK (includes `d`). */
  readonly es256PrivateJwk: typeof ES256_PRIVATE_JWK;
  /** ES256 public JWK as listed by /.well-known/jwks.json. */
  readonly es256PublicJwk: typeof ES256_PUBLIC_JWK;
}

// The API keys are defined once, in src/config (the service refuses them in production).
export const DEV_KEYS: DevKeys = Object.freeze({
  jwtSecret: DEVELOPMENT_JWT_SECRET,
  anonKey: DEVELOPMENT_ANON_KEY,
  serviceRoleKey: DEVELOPMENT_SERVICE_ROLE_KEY,
  publishableKey: DEVELOPMENT_PUBLISHABLE_KEY,
  secretKey: DEVELOPMENT_SECRET_KEY,
  kid: ES256_PRIVATE_JWK.kid,
  es256PrivateJwk: ES256_PRIVATE_JWK,
  es256PublicJwk: ES256_PUBLIC_JWK,
});

const DEV_VALUES: ReadonlySet<string> = new Set([
  DEV_KEYS.jwtSecret,
  DEV_KEYS.anonKey,
  DEV_KEYS.serviceRoleKey,
  DEV_KEYS.publishableKey,
  DEV_KEYS.secretKey,
  DEV_KEYS.es256PrivateJwk.d,
]);

/**
 * True when `value` is one of the public development keys above (or contains the dev JWT
 * secret / private key material), so production config can refuse to start with it.
 */
export function isDevKey(value: string): boolean {
  if (typeof value !== 'string') return false;
  const v = value.trim();
  if (v === '') return false;
  if (DEV_VALUES.has(v)) return true;
  return v.includes(DEV_KEYS.jwtSecret) || v.includes(DEV_KEYS.es256PrivateJwk.d);
}
