// GoTrue's statement sequence for each flow (docs/gotrue-statements.md): what the INSERT of a new
// user holds and which UPDATEs follow it, and how an update splits into UPDATEs.
import type { Columns } from './auth-statements.js';
import { authUsersRow } from './delivery-payloads.js';
import type { StoredUser } from './rows.js';

/** How a user came to be: GoTrue's POST /signup, POST /admin/users, or a bulk fill (one INSERT, for benchmarks). */
export type CreateFlow = 'signup' | 'admin' | 'bulk';
/** Updates GoTrue writes in several statements; any other is one UpdateOnly. */
export type UpdateFlow = 'confirm' | 'soft_delete' | 'update';

export const IDENTITIES = Symbol('insert the identities here');
type Step = Columns | typeof IDENTITIES;

/** What the INSERT of `flow` holds that later statements change (GoTrue inserts with role '' and nothing confirmed). */
export function initialOverrides(u: StoredUser, flow: CreateFlow): Columns {
  if (flow === 'bulk') return {};
  const data = withoutVerified(u.raw_user_meta_data);
  return {
    role: '',
    email_confirmed_at: null,
    phone_confirmed_at: null,
    confirmation_token: '',
    confirmation_sent_at: null,
    last_sign_in_at: null,
    banned_until: null,
    raw_user_meta_data: data,
    ...(flow === 'signup' ? { raw_app_meta_data: {} } : {}),
  };
}

/** The UPDATEs after the INSERT, as GoTrue's signupNewUser / adminUserCreate write them. */
export function createSteps(u: StoredUser, flow: CreateFlow): Step[] {
  if (flow === 'bulk') return [];
  const confirmed = u.email_confirmed_at !== null || u.phone_confirmed_at !== null;
  const confirm: Step[] = confirmed
    ? [
        { confirmation_token: '', email_confirmed_at: u.email_confirmed_at, phone_confirmed_at: u.phone_confirmed_at },
        { raw_user_meta_data: u.raw_user_meta_data },
      ]
    : [];
  const extras: Step[] = [
    ...(u.confirmation_sent_at !== null && !confirmed
      ? [{ confirmation_token: authUsersRow(u).confirmation_token, confirmation_sent_at: u.confirmation_sent_at }]
      : []),
    ...(u.banned_until !== null ? [{ banned_until: u.banned_until }] : []),
    ...(u.last_sign_in_at !== null ? [{ last_sign_in_at: u.last_sign_in_at }] : []),
  ];
  // The metadata as the row ends, where confirming did not write it (the INSERT left verification flags out).
  const metadata: Step[] =
    !confirmed && JSON.stringify(withoutVerified(u.raw_user_meta_data)) !== JSON.stringify(u.raw_user_meta_data)
      ? [{ raw_user_meta_data: u.raw_user_meta_data }]
      : [];
  if (flow === 'admin') return [{ role: u.role }, ...confirm, ...extras, ...metadata];
  // signup: SetRole, the identity, the metadata taken from it, the providers, then confirmation or its email.
  return [
    { role: u.role },
    IDENTITIES,
    { raw_user_meta_data: withoutVerified(u.raw_user_meta_data) },
    { raw_app_meta_data: u.raw_app_meta_data },
    ...confirm,
    ...extras,
    ...metadata,
  ];
}

/** A soft delete is three UPDATEs (the row, then user then app metadata); a confirmation two; anything else one. */
export function splitUpdate(changed: Columns, flow: UpdateFlow): Columns[] {
  const { raw_user_meta_data: userMeta, raw_app_meta_data: appMeta, ...rest } = changed;
  const parts: Columns[] = [rest];
  if (flow === 'update') return [changed];
  if (userMeta !== undefined) parts.push({ raw_user_meta_data: userMeta });
  if (flow === 'soft_delete' && appMeta !== undefined) parts.push({ raw_app_meta_data: appMeta });
  else if (appMeta !== undefined) parts[0] = { ...parts[0], raw_app_meta_data: appMeta };
  return parts.filter((part) => Object.keys(part).length > 0);
}

function withoutVerified(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'email_verified' && key !== 'phone_verified'));
}

/** The auth.users columns of a stored user as a Database Webhook shows the row (tokens included), but the generated one. */
export function rowColumns(u: StoredUser): Columns {
  const columns: Columns = { ...authUsersRow(u) };
  delete columns.confirmed_at;
  return columns;
}

export function diff(before: Columns, after: Columns): Columns {
  const changed: Columns = {};
  for (const [name, value] of Object.entries(after)) {
    if (name === 'updated_at') continue;
    if (JSON.stringify(before[name]) !== JSON.stringify(value)) changed[name] = value;
  }
  return changed;
}
