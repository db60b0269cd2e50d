/**
 * A user as Supabase Auth serialises it (admin API, `GET /user`, token responses).
 * Only the fields the mirror keeps are listed; timestamps are RFC 3339 strings.
 */
export interface SupabaseUser {
  id: string;
  aud?: string;
  role?: string;
  email?: string | null;
  phone?: string | null;
  email_confirmed_at?: string | null;
  phone_confirmed_at?: string | null;
  last_sign_in_at?: string | null;
  banned_until?: string | null;
  app_metadata?: Record<string, unknown> | null;
  user_metadata?: Record<string, unknown> | null;
  is_anonymous?: boolean;
  created_at?: string | null;
  updated_at?: string | null;
  deleted_at?: string | null;
}
