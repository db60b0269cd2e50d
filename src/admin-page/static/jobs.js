// Dead letters: GET /admin/jobs?state=dead|failed, a page at a time, with a retry button for each
// job (POST /admin/jobs/{id}/retry: it runs again at once with its attempts back).
import { request } from './api.js';
import { asText, byId, el, fill, when } from './dom.js';

let state = null;
let nextCursor = null;
let loaded = false;

/** A link to the timeline of the user a job works on. */
function subject(payload) {
  const userId = payload && typeof payload === 'object' ? payload.userId : null;
  return typeof userId === 'string' ? el('a', { href: `#user/${encodeURIComponent(userId)}`, className: 'subject' }, 'timeline') : null;
}

function row(job, report) {
  const retry = el('button', { type: 'button' }, 'Retry');
  retry.addEventListener('click', () => {
    retry.disabled = true;
    request('POST', `/admin/jobs/${encodeURIComponent(job.id)}/retry`)
      .then(() => {
        retry.replaceWith(el('span', { className: 'done' }, 'Queued again'));
      })
      .catch((error) => {
        retry.disabled = false;
        report(error);
      });
  });
  return el(
    'tr',
    { dataset: { jobId: job.id } },
    el('td', {}, job.id),
    el('td', {}, job.task),
    el('td', {}, el('code', {}, asText(job.payload)), subject(job.payload)),
    el('td', {}, `${job.attempts} of ${job.maxAttempts}`),
    el('td', { className: 'error' }, job.lastError ?? ''),
    el('td', { className: 'when' }, when(job.runAt)),
    el('td', {}, retry),
  );
}

async function load(cursor, report) {
  const params = new URLSearchParams({ state });
  if (cursor) params.set('cursor', cursor);
  const answer = await request('GET', `/admin/jobs?${params}`);
  const rows = answer.items.map((job) => row(job, report));
  const body = byId('job-list').tBodies[0];
  if (cursor) body.append(...rows);
  else fill(body, rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7, className: 'empty' }, `No ${state} job.`))]);
  nextCursor = answer.nextCursor;
  byId('jobs-next').disabled = nextCursor === null;
}

/** Lists the jobs in the chosen state from the first. */
export async function loadJobs(report) {
  state = String(new FormData(byId('job-filter')).get('state'));
  await load(null, report);
  loaded = true;
}

/** Shows the view: the list as it was, or the dead jobs the first time. */
export async function showJobs(report) {
  if (!loaded) await loadJobs(report);
}

export function setUpJobs(report) {
  byId('job-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    loadJobs(report).catch(report);
  });
  byId('jobs-next').addEventListener('click', () => load(nextCursor, report).catch(report));
}

export function resetJobs() {
  loaded = false;
  fill(byId('job-list').tBodies[0]);
}
