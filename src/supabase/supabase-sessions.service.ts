import { Inject, Injectable } from '@nestjs/common';
import { createClient } from '@supabase/supabase-js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { SupabaseDatabaseService } from './supabase-database.service.js';

/**
 * Ends one Supabase session, which GoTrue's API cannot do for another session (POST /logout takes only the caller's own
 * token): `authmirror.revoke_session` of supabase/authmirror-trigger.sql, over SUPABASE_DB_URL when set, else PostgREST RPC
 * with the service-role key (docs/devices.md).
 */
@Injectable()
export class SupabaseSessionsService {
  private readonly rest: ReturnType<typeof restClient>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly database: SupabaseDatabaseService,
  ) {
    this.rest = restClient(config);
  }

  /** Deletes the session (and its refresh tokens); true when it existed. Throws when Supabase cannot be reached: the job retries. */
  async revoke(sessionId: string): Promise<boolean> {
    if (this.database.sql) {
      const [row] = await this.database.sql.query<{ revoked: boolean }>('SELECT authmirror.revoke_session($1::uuid) AS revoked', [
        sessionId,
      ]);
      return row?.revoked === true;
    }
    const { data, error } = (await this.rest.rpc('revoke_session', { session_id: sessionId })) as {
      data: unknown;
      error: { code?: string; message: string } | null;
    };
    if (error) throw new Error(`authmirror.revoke_session over PostgREST: ${error.code ?? ''} ${error.message}`.trim());
    return data === true;
  }
}

/** PostgREST on schema `authmirror` with the service-role key (the function is granted to service_role alone of the API roles). */
function restClient(config: AppConfig) {
  const timeoutMs = config.supabase.adminTimeoutMs;
  return createClient(config.supabase.url, config.supabase.serviceRoleKey, {
    db: { schema: 'authmirror' },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) },
  });
}
