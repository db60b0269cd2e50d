// One user: GET /admin/users/{id} → { status, user, profile, deletedAt, devices, timeline,
// nextCursor }. The timeline is newest first, a page at a time; every entry shows its type and
// details as they come, and known types a title too, so a newer server never hides an event.
import { request } from './api.js';
import { asText, byId, el, facts, fill, when, whenExactly } from './dom.js';

const TITLES = {
  'user.signed_up': 'Signed up',
  'user.synced': 'Synced',
  'user.signed_in': 'Signed in',
  'delivery.applied': 'Delivery applied',
  'delivery.ignored': 'Delivery ignored',
  'reconcile.repaired': 'Repaired by reconcile',
  'profile.updated': 'Profile updated',
  'profile.onboarded': 'Onboarded',
  'device.first_seen': 'Device first seen',
  'device.added': 'Another device signed in',
  'device.revoked': 'Device revoked',
  'login.failed': 'Sign-in failed',
  'password.changed': 'Password changed',
  'admin.app_metadata.changed': 'app_metadata changed by an admin',
  'app_metadata.pushed': 'app_metadata pushed to Supabase',
  'user.deleted': 'Deleted',
  'signup.compensated': 'Signup undone',
  'cleanup.succeeded': 'Clean-up done',
  'cleanup.failed': 'Clean-up failed',
};

/** Events an operator looks for first when something went wrong. */
const TROUBLE = /(\.failed|\.ignored|\.repaired|\.deleted)$/;

function entry(event) {
  const type = typeof event.type === 'string' ? event.type : 'unknown';
  const details = event.details && typeof event.details === 'object' ? Object.entries(event.details) : [];
  return el(
    'li',
    { className: TROUBLE.test(type) ? 'trouble' : '', dataset: { type, kind: type.split('.')[0] } },
    el('time', { dateTime: String(event.at ?? '') }, whenExactly(event.at)),
    el('strong', {}, Object.hasOwn(TITLES, type) ? TITLES[type] : type),
    el('code', {}, type),
    details.length
      ? el(
          'span',
          { className: 'details' },
          details.map(([key, value]) => el('span', {}, `${key}: ${asText(value)}`)),
        )
      : null,
  );
}

function device(row) {
  return el(
    'tr',
    {},
    el('td', {}, row.name ?? '—'),
    el('td', {}, row.userAgent ?? '—'),
    el('td', {}, row.ip ?? '—'),
    el('td', { className: 'when' }, when(row.firstSeenAt)),
    el('td', { className: 'when' }, when(row.lastSeenAt)),
    el('td', { className: 'when' }, row.revokedAt ? when(row.revokedAt) : 'no'),
  );
}

let shown = null;

function render({ status, user, profile, deletedAt, devices, timeline, nextCursor }, id) {
  byId('user-title').textContent = user?.email ?? user?.phone ?? id;
  facts(byId('user-facts'), [
    ['Id', id],
    ['Status', deletedAt ? `${status ?? 'deleted'}, ${when(deletedAt)}` : status],
    ['Email', user?.email],
    ['Phone', user?.phone],
    ['Name', profile?.displayName],
    ['Signed up', when(user?.createdAt)],
    ['Last sign-in', when(user?.lastSignInAt)],
    ['Onboarded', profile?.onboardingCompleted ? `yes, ${when(profile.onboardedAt)}` : 'no'],
    ['app_metadata', user ? asText(user.appMetadata ?? {}) : null],
    ['user_metadata', user ? asText(user.userMetadata ?? {}) : null],
  ]);
  const rows = (devices ?? []).map(device);
  fill(byId('user-devices').tBodies[0], rows.length ? rows : [el('tr', {}, el('td', { colSpan: 6, className: 'empty' }, 'No device.'))]);
  const events = (timeline ?? []).map(entry);
  fill(byId('user-timeline'), events.length ? events : [el('li', { className: 'empty' }, 'Nothing recorded yet.')]);
  showOlder(nextCursor);
}

function showOlder(cursor) {
  shown.cursor = cursor ?? null;
  byId('timeline-older').hidden = shown.cursor === null;
}

/** The next page of older entries, below the ones shown. */
async function older() {
  const { id, cursor } = shown;
  const answer = await request('GET', `/admin/users/${encodeURIComponent(id)}?cursor=${encodeURIComponent(cursor)}`);
  if (shown.id !== id) return;
  byId('user-timeline').append(...answer.timeline.map(entry));
  showOlder(answer.nextCursor);
}

/** Loads and shows the user `id`. */
export async function showUser(id) {
  shown = { id, cursor: null };
  fill(byId('user-facts'));
  fill(byId('user-devices').tBodies[0]);
  fill(byId('user-timeline'));
  byId('timeline-older').hidden = true;
  byId('user-title').textContent = 'Loading…';
  try {
    const answer = await request('GET', `/admin/users/${encodeURIComponent(id)}`);
    if (shown.id === id) render(answer, id);
  } catch (error) {
    byId('user-title').textContent = id;
    throw error;
  }
}

export function setUpTimeline(report) {
  byId('timeline-older').addEventListener('click', () => older().catch(report));
}
