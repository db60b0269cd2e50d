// The rows the Auth stand-in keeps, shaped like GoTrue's `auth.users`, `auth.identities`,
// `auth.sessions` and `auth.refresh_tokens`, and the change event a user row emits.

/** A user as stored: the columns of GoTrue's `auth.users` row that this stand-in keeps. */
export interface StoredUser {
  id: string;
  aud: string;
  role: string;
  email: string | null;
  /** scrypt hash (`scrypt$N$r$p$salt$hash`), or null. Never a clear-text password. */
  encrypted_password: string | null;
  email_confirmed_at: string | null;
  invited_at: string | null;
  /**
   * GoTrue's confirmation_token column where the stand-in writes a real one (an SMS code's
   * GenerateTokenHash, '' once confirmed); absent, delivery-payloads.ts stands one in for a pending email.
   */
  confirmation_token?: string;
  confirmation_sent_at: string | null;
  recovery_sent_at: string | null;
  email_change: string | null;
  email_change_sent_at: string | null;
  last_sign_in_at: string | null;
  raw_app_meta_data: Record<string, unknown>;
  raw_user_meta_data: Record<string, unknown>;
  is_super_admin: boolean | null;
  created_at: string;
  updated_at: string;
  phone: string | null;
  phone_confirmed_at: string | null;
  phone_change: string | null;
  phone_change_sent_at: string | null;
  /** Generated like the DB column: LEAST(email_confirmed_at, phone_confirmed_at). */
  confirmed_at: string | null;
  reauthentication_sent_at: string | null;
  banned_until: string | null;
  deleted_at: string | null;
  is_sso_user: boolean;
  is_anonymous: boolean;
}

export interface StoredIdentity {
  /** identities row id (serialised as `identity_id`). */
  id: string;
  /** provider's user id (serialised as `id`). */
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AmrEntry {
  method: string;
  timestamp: number;
}

export interface StoredSession {
  id: string;
  user_id: string;
  created_at: string;
  updated_at: string;
  aal: string;
  amr: AmrEntry[];
  /** The client's User-Agent and address at sign-in (GoTrue's GrantParams.FillGrantParams); null when unknown. */
  user_agent?: string | null;
  ip?: string | null;
}

export interface StoredRefreshToken {
  token: string;
  session_id: string;
  user_id: string;
  revoked: boolean;
  parent: string | null;
  created_at: string;
  /** Set when the token is revoked: the reuse interval counts from it (GoTrue's refresh_tokens.updated_at). */
  updated_at?: string;
}

export interface UserChangedEvent {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  user: StoredUser | null;
  oldUser: StoredUser | null;
}
