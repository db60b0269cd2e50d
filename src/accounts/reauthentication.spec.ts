import { describe, expect, it } from '@jest/globals';
import type { AccessTokenClaims } from '../common/authenticated-user.js';
import { lastSignInMs } from './reauthentication.service.js';

const now = Date.UTC(2026, 10, 30, 12, 0, 0);
const claims = (amr: unknown): AccessTokenClaims => ({
  sub: 'x',
  aud: 'authenticated',
  exp: now / 1000 + 3600,
  role: 'authenticated',
  amr: amr as AccessTokenClaims['amr'],
});

describe('lastSignInMs', () => {
  it('takes the newest sign-in of the amr claim', () => {
    expect(
      lastSignInMs(
        claims([
          { method: 'otp', timestamp: now / 1000 - 60 },
          { method: 'password', timestamp: now / 1000 - 600 },
        ]),
        now,
      ),
    ).toBe(now - 60_000);
  });

  it('ignores refreshes, plain strings, missing timestamps and sign-ins from the future', () => {
    expect(lastSignInMs(claims([{ method: 'token_refresh', timestamp: now / 1000 }]), now)).toBeNull();
    expect(lastSignInMs(claims(['password']), now)).toBeNull();
    expect(lastSignInMs(claims([{ method: 'password' }]), now)).toBeNull();
    expect(lastSignInMs(claims([{ method: 'password', timestamp: now / 1000 + 86_400 }]), now)).toBeNull();
    expect(lastSignInMs(claims([{ method: 'password', timestamp: now / 1000 + 30 }]), now)).toBe(now + 30_000);
    expect(lastSignInMs(claims(undefined), now)).toBeNull();
  });
});
