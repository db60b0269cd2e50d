// Figures: GET /admin/stats?from&to&bucket. Signups and deletions per bucket as a uPlot bar chart
// (with the numbers beside it), the onboarding funnel as bars, active users and providers as numbers.
import uPlot from './uplot.esm.js';
import { request } from './api.js';
import { byId, dayStart, el, facts, fill } from './dom.js';

const BUCKET_SECONDS = { day: 86_400, week: 7 * 86_400 };
const SIGNUPS = '#2563eb';
const DELETIONS = '#dc2626';

let chart = null;
let loaded = false;

const seconds = (iso) => Date.parse(iso) / 1000;
const utcDay = (date) => date.toISOString().slice(0, 10);

/** The buckets of both series on one x axis, zero where a series has no row. */
function series(stats) {
  const signups = new Map(stats.signups.map((row) => [seconds(row.bucket), row.count]));
  const deletions = new Map(stats.deletions.map((row) => [seconds(row.bucket), row.count]));
  const xs = [...new Set([...signups.keys(), ...deletions.keys()])].sort((a, b) => a - b);
  return [xs, xs.map((x) => signups.get(x) ?? 0), xs.map((x) => deletions.get(x) ?? 0)];
}

function drawChart(stats, data) {
  chart?.destroy();
  const container = byId('signups-chart');
  // No bar for a zero (uPlot would draw a sliver at the baseline); the numbers below keep the zeros.
  const bars = data.map((values, i) => (i === 0 ? values : values.map((count) => count || null)));
  const step = BUCKET_SECONDS[stats.bucket] ?? BUCKET_SECONDS.day;
  const [xs] = data;
  const barPaths = (align) => uPlot.paths.bars({ size: [0.4, 32], align });
  chart = new uPlot(
    {
      width: Math.max(320, container.clientWidth),
      height: 260,
      // Buckets are UTC days and weeks: label them in UTC, not in the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, range: () => [(xs[0] ?? seconds(stats.from)) - step / 2, (xs.at(-1) ?? seconds(stats.to)) + step / 2] },
        y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      },
      axes: [{}, { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) }],
      series: [
        { label: 'UTC' },
        { label: 'Signups', stroke: SIGNUPS, fill: SIGNUPS, paths: barPaths(-1), points: { show: false } },
        { label: 'Deletions', stroke: DELETIONS, fill: DELETIONS, paths: barPaths(1), points: { show: false } },
      ],
    },
    bars,
    container,
  );
}

function numbers(data) {
  const [xs, signups, deletions] = data;
  fill(
    byId('signups-numbers').tBodies[0],
    xs.map((x, i) => el('tr', {}, el('td', {}, utcDay(new Date(x * 1000))), el('td', {}, signups[i]), el('td', {}, deletions[i]))),
  );
}

function duration(totalSeconds) {
  const minutes = Math.round(totalSeconds / 60);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

function funnel({ signedUp, synced, onboarded, medianSecondsToOnboard }) {
  const steps = [
    ['signedUp', 'Signed up', signedUp],
    ['synced', 'Synced', synced],
    ['onboarded', 'Onboarded', onboarded],
  ];
  fill(
    byId('funnel'),
    steps.map(([key, label, count]) => {
      const share = signedUp > 0 ? Math.round((count / signedUp) * 100) : 0;
      const bar = el('span', { className: 'bar' });
      // CSSOM, which the page's Content-Security-Policy allows (a style attribute it would refuse).
      bar.style.width = `${share}%`;
      return el(
        'div',
        { className: 'step', dataset: { step: key } },
        el('span', { className: 'label' }, label),
        el('span', { className: 'track' }, bar),
        el('span', { className: 'count' }, key === 'signedUp' ? String(count) : `${count} (${share}%)`),
      );
    }),
  );
  byId('median-onboarding').textContent =
    medianSecondsToOnboard === null || medianSecondsToOnboard === undefined
      ? 'Median time to onboard: no one onboarded yet.'
      : `Median time to onboard: ${duration(medianSecondsToOnboard)}`;
}

function render(stats) {
  const data = series(stats);
  drawChart(stats, data);
  numbers(data);
  funnel(stats.onboarding);
  facts(byId('active'), [
    ['in the last day', stats.active.lastDay],
    ['in the last 7 days', stats.active.last7Days],
    ['in the last 30 days', stats.active.last30Days],
  ]);
  facts(byId('providers'), stats.providers.length ? stats.providers.map(({ provider, count }) => [provider, count]) : [['none', 0]]);
}

/** Loads the figures for the form's range. */
export async function loadFigures() {
  const form = new FormData(byId('figure-range'));
  const to = new Date(`${String(form.get('to'))}T00:00:00Z`);
  // The last day is included: the range ends at the start of the day after it.
  to.setUTCDate(to.getUTCDate() + 1);
  const params = new URLSearchParams({
    from: dayStart(String(form.get('from'))),
    to: to.toISOString().replace('.000Z', 'Z'),
    bucket: String(form.get('bucket')),
  });
  render(await request('GET', `/admin/stats?${params}`));
  loaded = true;
}

/** Shows the view; the first time, with the last 30 days. */
export async function showFigures() {
  if (!loaded) await loadFigures();
}

export function setUpFigures(report) {
  const form = byId('figure-range');
  const today = new Date();
  const from = new Date(today);
  from.setUTCDate(from.getUTCDate() - 29);
  form.elements.from.value = utcDay(from);
  form.elements.to.value = utcDay(today);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    loadFigures().catch(report);
  });
}

export function resetFigures() {
  chart?.destroy();
  chart = null;
  loaded = false;
}
