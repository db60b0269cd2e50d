import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../common/authenticated-user.js';

const MAX_ENTRIES = 10_000;

/**
 * Tokens whose signature and claims were already verified, until they expire. The same access
 * token is presented on every request of a session, and verifying an ES256 signature is the
 * largest cost of a guarded request; a hit skips only that check (the deleted-user check still
 * runs). Bounded (oldest entries go first) and emptied when the signing keys change.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; expiresAtMs: number }>();

  get(token: string): AuthenticatedUser | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    if (entry.expiresAtMs <= Date.now()) {
      this.entries.delete(token);
      return null;
    }
    return entry.user;
  }

  remember(token: string, user: AuthenticatedUser): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { user, expiresAtMs: user.claims.exp * 1000 });
  }

  clear(): void {
    this.entries.clear();
  }
}
