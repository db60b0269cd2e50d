import { Injectable } from '@nestjs/common';
import type { RemoteRead } from '../supabase/remote-result.js';
import { SupabaseDatabaseService } from '../supabase/supabase-database.service.js';
import type { SupabaseUser } from '../supabase/supabase-user.js';
import { readPage, type ReadPage } from './reconcile-pages.js';

/** A page read by keyset: its users, and the id to read after. */
export type KeysetPage = { kind: 'page'; users: ReadPage; lastId: string | null } | { kind: 'unavailable'; reason: string };

/**
 * Supabase's users read from its own database (SUPABASE_DB_URL) through the install SQL's authmirror.users_after, by keyset
 * on id: unlike the admin API's OFFSET pages ordered by created_at, no page skips or repeats a user.
 */
@Injectable()
export class DatabaseListing {
  constructor(private readonly supabaseDb: SupabaseDatabaseService) {}

  get available(): boolean {
    return this.supabaseDb.configured;
  }

  async page(after: string | null, perPage: number): Promise<KeysetPage> {
    try {
      const rows = await this.supabaseDb.sql!.query<{ user: SupabaseUser }>('SELECT authmirror.users_after($1::uuid, $2) AS "user"', [
        after,
        perPage,
      ]);
      const users = rows.map((row) => row.user);
      return { kind: 'page', users: readPage(users), lastId: users.length > 0 ? String(users[users.length - 1].id) : after };
    } catch (error) {
      return { kind: 'unavailable', reason: (error as Error).message };
    }
  }

  /** One user, or null when there is none. */
  async user(id: string): Promise<RemoteRead<SupabaseUser | null>> {
    try {
      const [row] = await this.supabaseDb.sql!.query<{ user: SupabaseUser | null }>('SELECT authmirror.user_by_id($1::uuid) AS "user"', [
        id,
      ]);
      return { kind: 'ok', value: row?.user ?? null };
    } catch (error) {
      return { kind: 'unavailable', reason: (error as Error).message };
    }
  }
}
