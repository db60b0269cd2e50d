// useAuthmirror: keeps the signed-in Supabase user mirrored by authmirror. Copy this file.
//
// - On every sign-in (and each refreshed token, and a session found at load) it calls
//   POST /auth/users/sync once per access token, so React strict mode's doubled effects and
//   repeated events cost one call; a failed sync can be tried again (`resync`).
// - It never sends a token that is about to expire: it refreshes first, once (a token that is
//   still "expiring" after a refresh is sent: this device's clock is off, the API's decides).
// - An answer that arrives after its user signed out, or after another user signed in, is dropped.
// - `api()` calls the API with the current token; a 401 `invalid_token` or `token_stale` (an admin
//   changed the user's tier or role: the token's claims are old) is retried once with a refreshed
//   token; a 401 `user_deleted` or `session_revoked` (the account was deleted, or this device
//   signed out, elsewhere) signs out.
// - Errors keep the API's `code` (branch on it) and `message` (show it).
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface MirroredUser {
  id: string;
  email: string | null;
  phone: string | null;
  emailConfirmedAt: string | null;
  lastSignInAt: string | null;
  isAnonymous: boolean;
  userMetadata: Record<string, unknown>;
  createdAt: string | null;
}

export interface Profile {
  displayName: string | null;
  firstName: string | null;
  lastName: string | null;
  industry: string | null;
  jobTitle: string | null;
  emailConsent: boolean;
  onboardingCompleted: boolean;
  onboardedAt: string | null;
  updatedAt: string;
}

/** The newer of two answers about the profile: a sync that read it before a save answered after must not undo the save. */
function latest(current: Profile | null, next: Profile): Profile {
  return current && current.updatedAt > next.updatedAt ? current : next;
}

/** An error answer of the API: `{ statusCode, code, message, requestId }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface AuthmirrorState {
  session: Session | null;
  user: MirroredUser | null;
  profile: Profile | null;
  /** The last sync created the mirror row (the user's first sign-in here). */
  created: boolean;
  syncing: boolean;
  error: ApiError | null;
  /** The session came from a password-recovery link: ask for a new password. */
  recovering: boolean;
}

const SIGNED_OUT: AuthmirrorState = {
  session: null,
  user: null,
  profile: null,
  created: false,
  syncing: false,
  error: null,
  recovering: false,
};
/** Tokens with less life left than this are refreshed before they are sent. */
const MIN_TOKEN_LIFE_MS = 30_000;
/** The 401 codes of a user deleted, or a device signed out, elsewhere: the session is forgotten. */
const SIGNED_OUT_ELSEWHERE = new Set(['user_deleted', 'session_revoked']);
/** The 401 codes that a fresh token cures. */
const RETRY_WITH_FRESH_TOKEN = new Set(['invalid_token', 'token_stale']);

function expiring(session: Session): boolean {
  return (session.expires_at ?? 0) * 1000 - Date.now() <= MIN_TOKEN_LIFE_MS;
}

/** An API answer's body, or its error (the one error shape) as an ApiError. */
export async function readAnswer<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => null)) as { code?: string; message?: string; requestId?: string } | null;
  if (response.ok) return body as T;
  throw new ApiError(response.status, body?.code ?? 'unknown_error', body?.message ?? response.statusText, body?.requestId);
}

export function useAuthmirror(supabase: SupabaseClient, apiUrl: string) {
  const [state, setState] = useState<AuthmirrorState>(SIGNED_OUT);
  const session = useRef<Session | null>(null);
  // One sync per access token, whoever asks (a ref survives strict mode's remount).
  const syncs = useRef(new Map<string, Promise<void>>());
  // The token the last refresh of ours brought: sent even if it looks expiring (clock skew).
  const refreshed = useRef<string | null>(null);

  const call = useCallback(
    (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    [apiUrl],
  );

  /** Forgets the session of a user that no longer exists, without asking Supabase. */
  const forget = useCallback(() => {
    localStorage.removeItem((supabase.auth as unknown as { storageKey: string }).storageKey);
    session.current = null;
    setState(SIGNED_OUT);
  }, [supabase]);

  const refresh = useCallback(async (): Promise<Session | null> => {
    const next = (await supabase.auth.refreshSession()).data.session;
    refreshed.current = next?.access_token ?? null;
    return next;
  }, [supabase]);

  /** The current session, refreshed first (once) when its token is about to expire; null when signed out. */
  const freshSession = useCallback(async (): Promise<Session | null> => {
    const current = session.current ?? (await supabase.auth.getSession()).data.session;
    if (!current || !expiring(current) || refreshed.current === current.access_token) return current;
    return refresh();
  }, [supabase, refresh]);

  /** Calls the API as the signed-in user; retried once with a refreshed token when the API asks for one. */
  const api = useCallback(
    async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const current = await freshSession();
      if (!current) throw new ApiError(401, 'signed_out', 'Sign in first');
      let response = await call(current.access_token, method, path, body);
      if (response.status === 401) {
        const refusal = (await response
          .clone()
          .json()
          .catch(() => null)) as { code?: string } | null;
        if (RETRY_WITH_FRESH_TOKEN.has(refusal?.code ?? '')) {
          const next = await refresh();
          if (next) response = await call(next.access_token, method, path, body);
        }
      }
      try {
        return await readAnswer<T>(response);
      } catch (error) {
        if (error instanceof ApiError && SIGNED_OUT_ELSEWHERE.has(error.code)) forget();
        throw error;
      }
    },
    [call, freshSession, refresh, forget],
  );

  const sync = useCallback(
    (signedIn: Session): Promise<void> => {
      const token = signedIn.access_token;
      let running = syncs.current.get(token);
      if (running) return running;
      // Only while the same user is signed in does an answer still describe them.
      const stillSignedIn = () => session.current?.user.id === signedIn.user.id;
      running = (async () => {
        // An expiring token is refreshed instead; the refreshed one arrives as TOKEN_REFRESHED.
        if (expiring(signedIn) && refreshed.current !== token) {
          await refresh();
          return;
        }
        setState((s) => ({ ...s, session: signedIn, syncing: true, error: null }));
        try {
          const synced = await readAnswer<{ user: MirroredUser; profile: Profile; created: boolean }>(
            await call(token, 'POST', '/auth/users/sync'),
          );
          if (stillSignedIn())
            setState((s) => ({
              ...s,
              user: synced.user,
              profile: latest(s.profile, synced.profile),
              created: synced.created,
              syncing: false,
            }));
        } catch (error) {
          if (error instanceof ApiError && SIGNED_OUT_ELSEWHERE.has(error.code)) return forget();
          syncs.current.delete(token); // not done: the next event, or resync(), tries again
          if (stillSignedIn())
            setState((s) => ({
              ...s,
              syncing: false,
              error: error instanceof ApiError ? error : new ApiError(0, 'network_error', String(error)),
            }));
        }
      })();
      syncs.current.set(token, running);
      return running;
    },
    [call, refresh, forget],
  );

  useEffect(() => {
    const { data } = supabase.auth.onAuthStateChange((event, next) => {
      const previous = session.current;
      session.current = next;
      if (!next) {
        setState(SIGNED_OUT);
        return;
      }
      // Another user: nothing of the previous one may stay on screen while this one syncs.
      if (previous?.user.id !== next.user.id) setState({ ...SIGNED_OUT, session: next });
      if (event === 'PASSWORD_RECOVERY') setState((s) => ({ ...s, recovering: true }));
      // Other Supabase calls must not run inside this callback (supabase-js would deadlock): defer.
      setTimeout(() => void sync(next), 0);
    });
    return () => data.subscription.unsubscribe();
  }, [supabase, sync]);

  /** Writes the profile fields given; the state follows the answer. */
  const updateProfile = useCallback(
    async (fields: Partial<Profile>) => {
      const { profile } = await api<{ profile: Profile }>('PATCH', '/profiles/me', fields);
      setState((s) => ({ ...s, profile: latest(s.profile, profile) }));
    },
    [api],
  );

  const completeOnboarding = useCallback(
    async (answers: { industry: string; jobTitle: string; emailConsent: boolean }) => {
      const { profile } = await api<{ profile: Profile }>('POST', '/profiles/me/onboarding', answers);
      setState((s) => ({ ...s, profile: latest(s.profile, profile) }));
    },
    [api],
  );

  /**
   * Deletes the account (with the password, or none within a few minutes of signing in). The
   * user is gone from Supabase too, so its session is only forgotten here (signOut would ask
   * Supabase, which answers 403 for a user that no longer exists). Other tabs forget it at their
   * next API answer (401 user_deleted) or refresh.
   */
  const deleteAccount = useCallback(
    async (password?: string) => {
      await api<void>('DELETE', '/users/me', password ? { password } : {});
      forget();
    },
    [api, forget],
  );

  /** Tries the sync again after it failed (`error`). */
  const resync = useCallback(() => (session.current ? sync(session.current) : Promise.resolve()), [sync]);

  const passwordSet = useCallback(() => setState((s) => ({ ...s, recovering: false })), []);

  return { ...state, api, updateProfile, completeOnboarding, deleteAccount, resync, passwordSet };
}
