// What a client or a verifier reads about the stand-in: the JWKS and OpenID configuration, the
// health check (open routes of the gateway), and GET /settings (behind the apikey).
import { send, type Routes } from '../http.js';
import type { AuthState } from '../state.js';

/** Answered without an apikey. */
export function discoveryRoutes(s: AuthState): Routes {
  const jwksBody = JSON.stringify({ keys: s.signing === 'es256' ? [s.jwt.publicJwk] : [] });
  return {
    '/.well-known/jwks.json': {
      GET: (ctx) => send(ctx.res, 200, jwksBody, { 'Cache-Control': 'public, max-age=600' }),
    },
    '/.well-known/openid-configuration': {
      GET: (ctx) =>
        send(
          ctx.res,
          200,
          JSON.stringify({
            issuer: s.issuer,
            jwks_uri: `${s.issuer}/.well-known/jwks.json`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: [s.signing === 'es256' ? 'ES256' : 'HS256'],
          }),
        ),
    },
    '/health': {
      GET: (ctx) =>
        send(
          ctx.res,
          200,
          JSON.stringify({ version: 'local-stand-in', name: 'GoTrue', description: 'Local Supabase Auth stand-in (development only)' }),
        ),
    },
  };
}

export function settingsRoutes(s: AuthState): Routes {
  return {
    '/settings': {
      GET: (ctx) =>
        send(
          ctx.res,
          200,
          JSON.stringify({
            external: { anonymous_users: false, email: true, phone: true },
            disable_signup: false,
            mailer_autoconfirm: s.autoconfirm,
            phone_autoconfirm: s.smsAutoconfirm,
            sms_provider: '',
            saml_enabled: false,
          }),
        ),
    },
  };
}
