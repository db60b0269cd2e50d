import { Injectable } from '@nestjs/common';

/** Removes what a deleted user left outside the database (stored files, third parties). */
export interface UserCleaner {
  /** Stable name: it is stored in queued jobs. */
  readonly name: string;
  /** Must be idempotent: a job may run again after a failure. */
  clean(userId: string): Promise<void>;
  /** Attempts (with exponential back-off) before the job stays failed for an operator; default 10. */
  readonly maxAttempts?: number;
}

/**
 * The extension point for clean-up outside Postgres. A module registers its cleaner at start-up;
 * every deletion queues one durable job per registered cleaner, in the deletion's transaction.
 */
@Injectable()
export class UserCleanerRegistry {
  private readonly cleaners = new Map<string, UserCleaner>();

  register(cleaner: UserCleaner): void {
    if (this.cleaners.has(cleaner.name)) throw new Error(`a user cleaner named ${cleaner.name} is already registered`);
    this.cleaners.set(cleaner.name, cleaner);
  }

  all(): UserCleaner[] {
    return [...this.cleaners.values()];
  }

  get(name: string): UserCleaner | undefined {
    return this.cleaners.get(name);
  }
}
