// GET /admin/users: GoTrue's admin list (internal/api/admin.go adminUsers), its filter, sort,
// pagination and Link header; from the local Supabase database where the stand-in has one.
import type { UserListQuery } from '../auth-statements.js';
import { requestAud } from '../auth-checks.js';
import { validationFailed } from '../errors.js';
import { goEncodeValues, queryParams, send, type Ctx } from '../http.js';
import type { StoredUser } from '../rows.js';
import type { AuthState } from '../state.js';
import { toUserJson } from '../user-json.js';

/**
 * GoTrue pages the admin list with ORDER BY created_at LIMIT … OFFSET … and nothing after
 * created_at (internal/models/user.go FindUsersInAudience): users with equal created_at (a bulk
 * import) come in whatever order Postgres' sort returns for that page, so from one page to the
 * next they may be skipped or repeated. Each request here orders them anew, at random.
 */
function shuffleTies(users: StoredUser[]): void {
  for (let start = 0; start < users.length;) {
    let end = start + 1;
    while (end < users.length && users[end].created_at === users[start].created_at) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(Math.random() * (i - start + 1));
      [users[i], users[j]] = [users[j], users[i]];
    }
    start = end;
  }
}

/** The page as the database would give it, from memory. */
function memoryPage(s: AuthState, { aud, filter, desc, page, perPage }: UserListQuery): { users: StoredUser[]; count: number } {
  const all = s.store.listSorted();
  const filterLower = filter.toLowerCase();
  const matches: StoredUser[] = [];
  for (let i = desc ? all.length - 1 : 0; desc ? i >= 0 : i < all.length; desc ? i-- : i++) {
    const u = all[i];
    if (u.aud !== aud) continue;
    if (filter) {
      const fullName = u.raw_user_meta_data.full_name;
      const inEmail = !!u.email && u.email.includes(filter);
      const inName = typeof fullName === 'string' && fullName.toLowerCase().includes(filterLower);
      if (!inEmail && !inName) continue;
    }
    matches.push(u);
  }
  shuffleTies(matches);
  return { users: matches.slice((page - 1) * perPage, page * perPage), count: matches.length };
}

export async function handleAdminList(s: AuthState, ctx: Ctx): Promise<void> {
  const q = queryParams(ctx.rawQuery);
  const parseUint = (name: string, def: number): number => {
    const v = q.get(name) ?? '';
    if (v === '') return def;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw validationFailed(`Bad Pagination Parameters: strconv.ParseUint: parsing "${v}": invalid syntax`);
    }
    return Number(v);
  };
  const page = parseUint('page', 1);
  const perPage = parseUint('per_page', 50);
  let desc = true;
  const sort = q.get('sort') ?? '';
  if (sort !== '') {
    for (const part of sort.split(',')) {
      const [field, dir = 'desc', ...rest] = part.trim().split(/\s+/);
      if (field !== 'created_at' || rest.length || (dir !== 'asc' && dir !== 'desc')) {
        throw validationFailed(
          `Bad Sort Parameters: ${field !== 'created_at' ? `${field} is not a valid sort field` : `bad direction for sort: ${dir}`}`,
        );
      }
      desc = dir === 'desc';
    }
  }
  const filter = q.get('filter') ?? '';
  const aud = requestAud(ctx.req);
  // pop's Paginate: page < 1 -> 1, per_page < 1 -> 20
  const effPer = perPage < 1 ? 20 : perPage;
  const query: UserListQuery = { aud, filter, desc, page: page < 1 ? 1 : page, perPage: effPer };
  const { users: slice, count } = s.store.database ? await s.store.database.readUserPage(query) : memoryPage(s, query);
  const totalPages = Math.ceil(count / effPer);
  // Link header exactly like GoTrue's addPaginationHeaders (request query re-encoded, keys sorted).
  const values = new Map<string, string[]>();
  for (const [k, v] of q) {
    const arr = values.get(k);
    if (arr) arr.push(v);
    else values.set(k, [v]);
  }
  let link = '';
  if (totalPages > page) {
    values.set('page', [String(page + 1)]);
    link += `</admin/users?${goEncodeValues(values)}>; rel="next", `;
  }
  values.set('page', [String(totalPages)]);
  link += `</admin/users?${goEncodeValues(values)}>; rel="last"`;
  let body = '{"users":[';
  for (let i = 0; i < slice.length; i++) {
    if (i) body += ',';
    body += JSON.stringify(toUserJson(slice[i], null));
  }
  body += '],"aud":' + JSON.stringify(aud) + '}';
  send(ctx.res, 200, body, { Link: link, 'X-Total-Count': String(count) });
}
