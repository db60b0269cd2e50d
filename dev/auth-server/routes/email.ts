// The email routes of email-flows.ts, each behind its own per-address limit: /recover, /resend,
// POST /verify (verifyOtp; an SMS code's types go to phone-flows.ts), and GET /verify, the link a
// browser follows.
import { validationFailed } from '../errors.js';
import { getString, readJson, type Routes } from '../http.js';
import type { AuthState } from '../state.js';

export function emailRoutes(s: AuthState): Routes {
  return {
    '/recover': {
      POST: (ctx) => {
        s.limits.recover.take(ctx.req);
        return s.emailFlow.recover(ctx);
      },
    },
    '/resend': {
      POST: (ctx) => {
        s.limits.resend.take(ctx.req);
        return s.emailFlow.resend(ctx);
      },
    },
    '/verify': {
      POST: async (ctx) => {
        s.limits.verify.take(ctx.req);
        const body = await readJson(ctx);
        const type = getString(body, 'type');
        if (type === '') throw validationFailed('Verify requires a verification type'); // VerifyParams.Validate
        if (type === 'sms' || type === 'phone_change') return s.phoneFlow.verify(ctx, body);
        return s.emailFlow.verifyCode(ctx, body);
      },
    },
  };
}

/** Email links are followed by a browser, with no apikey (an open route of the gateway). */
export function emailLinkRoutes(s: AuthState): Routes {
  return {
    '/verify': {
      GET: (ctx) => {
        s.limits.verify.take(ctx.req);
        return s.emailFlow.verifyLink(ctx);
      },
    },
  };
}
