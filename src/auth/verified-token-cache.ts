import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../common/authenticated-user.js';

const MAX_ENTRIES = 10_000;

/**
 * Verified tokens until they expire: an ES256 check is the largest cost of a guarded request, and a session sends the
 * same token each time. A hit skips only that check; emptied when the signing keys change.
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
