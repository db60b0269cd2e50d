// GoTrue's writes to auth.users, auth.identities, auth.sessions and auth.refresh_tokens, statement
// by statement as GoTrue issues them (docs/gotrue-statements.md, with the Go functions cited), so a
// trigger on auth.users sees locally what it sees on Supabase: four fires for an admin create, the
// first with role '' and no confirmation; three for a soft delete; updated_at bumped by a refresh.
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { MicroClock } from './clock.js';
import { NIL_UUID } from './http.js';
import { updateUserColumns } from './auth-statements.js';
import { newRefreshToken } from './sessions.js';

/** GoTrue writes the nil UUID, never NULL, and every lookup filters on it (internal/models/user.go). */
export const NIL_INSTANCE = NIL_UUID;

type Tx = Pick<pg.ClientBase, 'query'>;

export interface NewUser {
  id?: string;
  email: string | null;
  phone?: string | null;
  encryptedPassword: string | null;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  role?: string;
}

export class GoTrueWrites {
  constructor(private readonly clock = new MicroClock()) {}

  /**
   * tx.Create(user) (pop executors.go Create): every writable column, '' for empty Go strings,
   * created_at and updated_at from GoTrue's clock. role is '' until SetRole runs.
   */
  async insertUser(tx: Tx, user: NewUser): Promise<string> {
    const id = user.id ?? randomUUID();
    const now = this.clock.now();
    await tx.query(
      `INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
         confirmation_token, confirmation_sent_at, recovery_token, recovery_sent_at, email_change_token_new, email_change,
         email_change_sent_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, phone,
         phone_confirmed_at, phone_change, phone_change_token, phone_change_sent_at, email_change_token_current,
         email_change_confirm_status, banned_until, reauthentication_token, reauthentication_sent_at, is_sso_user,
         deleted_at, is_anonymous)
       VALUES ($1, $2, 'authenticated', '', $3, $4, NULL, NULL, '', NULL, '', NULL, '', '', NULL, NULL, $5, $6, $7, $7,
         $8, NULL, '', '', NULL, '', 0, NULL, '', NULL, false, NULL, $9)`,
      [
        NIL_INSTANCE,
        id,
        user.email,
        user.encryptedPassword,
        JSON.stringify(user.appMetadata ?? { provider: user.email ? 'email' : 'phone', providers: [user.email ? 'email' : 'phone'] }),
        JSON.stringify(user.userMetadata ?? {}),
        now,
        user.phone ?? null,
        user.email === null && (user.phone ?? null) === null,
      ],
    );
    return id;
  }

  /** tx.UpdateOnly(user, cols...) (internal/storage/sql.go): the columns, and updated_at always. */
  async updateUser(tx: Tx, id: string, columns: Record<string, unknown>): Promise<void> {
    await updateUserColumns(tx, id, { ...columns, updated_at: this.clock.now() });
  }

  /** The email identity of a new user (models.NewIdentity, tx.Create). */
  async insertEmailIdentity(tx: Tx, userId: string, email: string): Promise<void> {
    const now = this.clock.now();
    const data = { sub: userId, email, email_verified: false, phone_verified: false };
    await tx.query(
      `INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, id)
       VALUES ($1::text, $1::text::uuid, $2, 'email', $3, $3, $3, $4)`,
      [userId, JSON.stringify(data), now, randomUUID()],
    );
  }

  /** POST /admin/users with email_confirm (internal/api/admin.go adminUserCreate): INSERT, then three UPDATEs. */
  async adminCreateUser(tx: Tx, user: NewUser & { email: string }): Promise<string> {
    const id = await this.insertUser(tx, user);
    await this.insertEmailIdentity(tx, id, user.email);
    await this.updateUser(tx, id, { role: user.role ?? 'authenticated' }); // SetRole
    await this.updateUser(tx, id, { confirmation_token: '', email_confirmed_at: this.clock.now() }); // Confirm
    await this.updateUser(tx, id, { raw_user_meta_data: { ...user.userMetadata, email_verified: true } });
    return id;
  }

  /**
   * tokens.Service.IssueRefreshToken, v1 (internal/tokens/service.go): a session, a refresh token,
   * then last_sign_in_at (and updated_at) on the user. Returns the refresh token.
   */
  async signIn(tx: Tx, userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const now = this.clock.now();
    const sessionId = randomUUID();
    await tx.query(`INSERT INTO auth.sessions (id, user_id, created_at, updated_at, aal) VALUES ($1, $2, $3, $3, 'aal1')`, [
      sessionId,
      userId,
      now,
    ]);
    const refreshToken = newRefreshToken();
    await tx.query(
      `INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
       VALUES ($1, $2, $3, false, $4, $4, NULL, $5)`,
      [NIL_INSTANCE, refreshToken, userId, now, sessionId],
    );
    await this.updateUser(tx, userId, { last_sign_in_at: now });
    return { sessionId, refreshToken };
  }

  /** A v1 refresh: the token revoked, its child issued, last_sign_in_at rewritten unchanged (updated_at moves). */
  async refresh(tx: Tx, userId: string, sessionId: string, token: string): Promise<string> {
    const now = this.clock.now();
    await tx.query(`UPDATE auth.refresh_tokens SET revoked = true, updated_at = $2 WHERE token = $1`, [token, now]);
    const child = newRefreshToken();
    await tx.query(
      `INSERT INTO auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
       VALUES ($1, $2, $3, false, $4, $4, $5, $6)`,
      [NIL_INSTANCE, child, userId, now, token, sessionId],
    );
    // As text: a JS Date would drop the microseconds and so change the value GoTrue writes back unchanged.
    const { rows } = await tx.query<{ last_sign_in_at: string }>(`SELECT last_sign_in_at::text FROM auth.users WHERE id = $1`, [userId]);
    await this.updateUser(tx, userId, { last_sign_in_at: rows[0].last_sign_in_at });
    await tx.query(`UPDATE auth.sessions SET refreshed_at = $2::timestamptz AT TIME ZONE 'UTC', updated_at = $2 WHERE id = $1`, [
      sessionId,
      now,
    ]);
    return child;
  }

  /** User.Ban (internal/models/user.go): banned_until, or NULL to lift it. */
  async ban(tx: Tx, userId: string, until: Date | null): Promise<void> {
    await this.updateUser(tx, userId, { banned_until: until });
  }

  /** adminUserDelete with should_soft_delete (internal/api/admin.go): three UPDATEs, sessions gone, identities blanked. */
  async softDelete(tx: Tx, userId: string): Promise<void> {
    const { rows } = await tx.query<{ email: string | null; phone: string | null }>(`SELECT email, phone FROM auth.users WHERE id = $1`, [
      userId,
    ]);
    const obfuscate = (value: string | null) =>
      createHash('sha256')
        .update(userId + (value ?? ''))
        .digest('base64url');
    await this.updateUser(tx, userId, {
      email: obfuscate(rows[0].email),
      phone: obfuscate(rows[0].phone).slice(0, 15),
      encrypted_password: null,
      email_change: '',
      phone_change: '',
      confirmation_token: '',
      recovery_token: '',
      email_change_token_current: '',
      email_change_token_new: '',
      phone_change_token: '',
      deleted_at: this.clock.now(),
    });
    await this.updateUser(tx, userId, { raw_user_meta_data: {} });
    await this.updateUser(tx, userId, { raw_app_meta_data: {} });
    await tx.query(`DELETE FROM auth.sessions WHERE user_id = $1`, [userId]);
    await tx.query(`UPDATE auth.identities SET identity_data = '{}' WHERE user_id = $1`, [userId]);
    await tx.query(`UPDATE auth.identities SET provider_id = $2 WHERE user_id = $1`, [userId, obfuscate(userId)]);
  }

  /** tx.Destroy(user): identities, sessions and refresh tokens go by the foreign keys' cascades. */
  async hardDelete(tx: Tx, userId: string): Promise<void> {
    await tx.query(`DELETE FROM auth.users AS users WHERE users.id = $1`, [userId]);
  }
}
