// Standalone entry: `node dist/dev/auth-server/main.js`
// Env: PORT (default 54321), HOST (default 127.0.0.1), AUTH_SIGNING (es256|hs256),
// AUTH_AUTOCONFIRM (true|false), AUTH_SMS_AUTOCONFIRM (true|false; default AUTH_AUTOCONFIRM),
// AUTH_PERSIST_PATH (JSON state file), AUTH_QUIET (true|false).
// Deliveries on user changes: AUTH_DELIVERY_URL (receiver; none when unset),
// AUTH_DELIVERY_FORM (database|signed; default database), AUTH_DELIVERY_SECRET (signed form,
// "v1,whsec_<base64>"), AUTH_DELIVERY_DB_TOKEN (database form bearer token).
// GoTrue settings: AUTH_RATE_LIMIT_TOKEN_REFRESH (POST /token per 5 minutes per address; default
// 150, 0 = off), AUTH_RATE_LIMIT_VERIFY (/verify; default 30), AUTH_RATE_LIMIT_OTP (/signup,
// /recover, /resend, /otp, PUT /user, each; default 30), AUTH_SB_FORWARDED_FOR (true: limit by the
// Sb-Forwarded-For address), AUTH_RATE_LIMIT_SMS_SENT (SMS codes an hour; default 30, 0 = off),
// AUTH_SMS_MAX_FREQUENCY (seconds between codes to one user; default 60), AUTH_SMS_OTP_EXP
// (seconds a code works; default 60).
import { startAuthServer, type DeliveryTarget } from './server.js';

function deliveryTarget(): DeliveryTarget | undefined {
  const url = process.env.AUTH_DELIVERY_URL;
  if (!url) return undefined;
  const form = (process.env.AUTH_DELIVERY_FORM || 'database').toLowerCase();
  if (form !== 'database' && form !== 'signed') throw new Error(`AUTH_DELIVERY_FORM must be database or signed, got "${form}"`);
  return {
    url,
    form,
    secret: process.env.AUTH_DELIVERY_SECRET || undefined,
    dbToken: process.env.AUTH_DELIVERY_DB_TOKEN || undefined,
  };
}

function envBool(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  return /^(1|true|yes|on)$/i.test(v);
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number (0 or more), got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  const signing = process.env.AUTH_SIGNING?.toLowerCase();
  if (signing && signing !== 'es256' && signing !== 'hs256') {
    throw new Error(`AUTH_SIGNING must be es256 or hs256, got "${signing}"`);
  }
  const port = process.env.PORT ? Number(process.env.PORT) : 54321;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid PORT "${process.env.PORT}"`);
  const server = await startAuthServer({
    port,
    host: process.env.HOST || '127.0.0.1',
    signing: (signing as 'es256' | 'hs256' | undefined) ?? 'es256',
    autoconfirm: envBool('AUTH_AUTOCONFIRM') ?? false,
    smsAutoconfirm: envBool('AUTH_SMS_AUTOCONFIRM'),
    persistPath: process.env.AUTH_PERSIST_PATH || undefined,
    quiet: envBool('AUTH_QUIET') ?? false,
    deliveries: deliveryTarget(),
    rateLimitTokenRefresh: envNumber('AUTH_RATE_LIMIT_TOKEN_REFRESH'),
    rateLimitVerify: envNumber('AUTH_RATE_LIMIT_VERIFY'),
    rateLimitOtp: envNumber('AUTH_RATE_LIMIT_OTP'),
    sbForwardedFor: envBool('AUTH_SB_FORWARDED_FOR') ?? false,
    rateLimitSmsSent: envNumber('AUTH_RATE_LIMIT_SMS_SENT'),
    smsMaxFrequencySeconds: envNumber('AUTH_SMS_MAX_FREQUENCY'),
    smsOtpExpSeconds: envNumber('AUTH_SMS_OTP_EXP'),
  });
  console.log(`local Supabase Auth stand-in (development only) listening on ${server.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`error while stopping on ${signal}:`, e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
