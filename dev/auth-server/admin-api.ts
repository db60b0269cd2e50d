// AuthServer.admin: what tests do to the stored rows directly, without the HTTP API (read a
// user, patch its row, bulk-insert users); every change still emits its event.
import { randomUUID } from 'node:crypto';
import { hashPasswordSync } from './passwords.js';
import type { StoredIdentity, StoredUser } from './rows.js';
import type { Store } from './store.js';
import type { UserJson } from './user-json.js';
import { makeIdentity } from './user-rows.js';

export type BulkUserFields = Partial<StoredUser> & { password?: string };

export interface AuthServerAdmin {
  getUser(id: string): UserJson | null;
  /** Patch the stored row directly (DB column names); bumps updated_at unless given; emits UPDATE. */
  updateUserRaw(id: string, patch: Partial<StoredUser>): UserJson;
  userCount(): number;
  /** Insert n confirmed email users quickly (default password 'password123'); emits INSERT per user. */
  bulkInsert(n: number, make?: (i: number) => BulkUserFields): void;
}

export function adminApi(store: Store): AuthServerAdmin {
  let defaultBulkHash: string | null = null;
  let bulkSeq = 0;
  return {
    getUser(id) {
      const u = store.users.get(id.toLowerCase());
      return u ? structuredClone(store.userJson(u)) : null;
    },
    updateUserRaw(id, patch) {
      const u = store.users.get(id.toLowerCase());
      if (!u) throw new Error(`no user ${id}`);
      store.updateUser(u, (row) => {
        for (const [k, v] of Object.entries(patch)) {
          if (k === 'id' || v === undefined) continue;
          (row as unknown as Record<string, unknown>)[k] = k.startsWith('raw_') ? structuredClone(v) : v;
        }
      });
      return structuredClone(store.userJson(u));
    },
    userCount: () => store.users.size,
    bulkInsert(n, make) {
      const hashes = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const { password, ...fields } = make?.(i) ?? {};
        let hash: string;
        if (password === undefined) hash = defaultBulkHash ??= hashPasswordSync('password123');
        else {
          let h = hashes.get(password);
          if (!h) hashes.set(password, (h = hashPasswordSync(password)));
          hash = h;
        }
        const seq = ++bulkSeq;
        const email = fields.email === undefined ? `bulk-${seq}-${randomUUID().slice(0, 8)}@example.test` : fields.email;
        const u = store.newUserRow({
          encrypted_password: hash,
          raw_app_meta_data: { provider: email ? 'email' : 'phone', providers: [email ? 'email' : 'phone'] },
          ...fields,
          email: email ? email.toLowerCase() : null,
        });
        if (fields.email_confirmed_at === undefined && u.email) u.email_confirmed_at = u.created_at;
        if (u.phone) u.phone = u.phone.replace(/^\+/, '');
        if (store.users.has(u.id)) throw new Error(`bulkInsert: duplicate id ${u.id}`);
        if (u.email && store.findByEmail(u.aud, u.email)) throw new Error(`bulkInsert: duplicate email ${u.email}`);
        if (u.phone && store.findByPhone(u.aud, u.phone)) throw new Error(`bulkInsert: duplicate phone ${u.phone}`);
        const ids: StoredIdentity[] = [];
        if (u.email) ids.push(makeIdentity(u, 'email'));
        if (u.phone) ids.push(makeIdentity(u, 'phone'));
        if (u.email_confirmed_at) for (const x of ids) if (x.provider === 'email') x.identity_data.email_verified = true;
        store.insertUser(u, ids, 'bulk');
      }
    },
  };
}
