// User search: every filter of GET /admin/users, keyset pages by nextCursor, and the same query
// as CSV (GET /admin/users.csv needs the bearer token, so it is fetched and saved from a blob).
import { request } from './api.js';
import { byId, dayStart, el, fill, when } from './dom.js';

const TEXT_FILTERS = ['email', 'emailDomain', 'phone', 'provider', 'onboarded', 'status', 'sort'];
const DAY_FILTERS = ['createdAfter', 'createdBefore', 'lastSignInAfter', 'lastSignInBefore'];

/** The pages seen so far: cursors[i] opens page i (null for the first), so "Previous" needs no offset. */
let cursors = [null];
let page = 0;
let nextCursor = null;
let query = null;

/** The form's filters as the API's query string (without limit and cursor); empty fields are left out. */
function filtersOf(form) {
  const data = new FormData(form);
  const params = new URLSearchParams();
  for (const name of TEXT_FILTERS) {
    const value = String(data.get(name) ?? '').trim();
    if (value) params.set(name, value);
  }
  for (const name of DAY_FILTERS) {
    const value = dayStart(String(data.get(name) ?? ''));
    if (value) params.set(name, value);
  }
  return params;
}

function row({ user, profile }) {
  const providers = Array.isArray(user.appMetadata?.providers) ? user.appMetadata.providers.join(', ') : '';
  return el(
    'tr',
    { dataset: { userId: user.id } },
    el('td', {}, el('a', { href: `#user/${encodeURIComponent(user.id)}` }, user.email ?? user.phone ?? user.id)),
    el('td', {}, profile?.displayName ?? ''),
    el('td', {}, user.phone ?? ''),
    el('td', {}, providers),
    el('td', {}, profile?.onboardingCompleted ? 'yes' : 'no'),
    el('td', { className: 'when' }, when(user.createdAt)),
    el('td', { className: 'when' }, when(user.lastSignInAt)),
  );
}

async function showPage(index) {
  const params = new URLSearchParams(query);
  const limit = String(new FormData(byId('user-filters')).get('limit') ?? '').trim();
  if (limit) params.set('limit', limit);
  if (cursors[index]) params.set('cursor', cursors[index]);
  const answer = await request('GET', `/admin/users?${params}`);
  page = index;
  nextCursor = answer.nextCursor;
  cursors[index + 1] = nextCursor;
  const rows = answer.items.map(row);
  fill(
    byId('user-results').tBodies[0],
    rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7, className: 'empty' }, 'No user matches.'))],
  );
  byId('users-page').textContent = `Page ${index + 1} · ${answer.items.length} user${answer.items.length === 1 ? '' : 's'}`;
  byId('users-previous').disabled = index === 0;
  byId('users-next').disabled = nextCursor === null;
}

/** Runs the form's query from its first page. */
export async function searchUsers() {
  query = filtersOf(byId('user-filters')).toString();
  cursors = [null];
  await showPage(0);
}

/** Shows the view: the last search as it was, or a first search with no filter. */
export async function showUsers() {
  if (query === null) await searchUsers();
}

async function downloadCsv() {
  const response = await request('GET', `/admin/users.csv?${filtersOf(byId('user-filters'))}`, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const link = el('a', { href: url, download: `users-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Wires the form and buttons; `report` shows what failed. */
export function setUpUsers(report) {
  byId('user-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    searchUsers().catch(report);
  });
  byId('users-next').addEventListener('click', () => showPage(page + 1).catch(report));
  byId('users-previous').addEventListener('click', () => showPage(page - 1).catch(report));
  byId('download-csv').addEventListener('click', () => downloadCsv().catch(report));
}

/** Forgets the last search (on sign-out). */
export function resetUsers() {
  query = null;
  cursors = [null];
  fill(byId('user-results').tBodies[0]);
  byId('users-page').textContent = '';
}
