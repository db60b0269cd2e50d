// The operator page: sign-in, then one view at a time, chosen by the URL's hash (#users,
// #user/{id}, #figures, #jobs), so that the browser's back button and a copied link work.
import { ApiFailure, request, signedIn, signedInAs, signIn, signOut } from './api.js';
import { byId } from './dom.js';
import { resetFigures, setUpFigures, showFigures } from './figures.js';
import { resetJobs, setUpJobs, showJobs } from './jobs.js';
import { setUpTimeline, showUser } from './timeline.js';
import { resetUsers, setUpUsers, showUsers } from './users.js';

const VIEWS = {
  users: () => showUsers(),
  user: (id) => showUser(id),
  figures: () => showFigures(),
  jobs: () => showJobs(report),
};
const SECTIONS = ['sign-in', ...Object.keys(VIEWS)];
const NOT_ADMIN = 'Signed in, but this account is not an admin: only users whose app_metadata.roles contains "admin" may use this page.';

function problem(text) {
  byId('problem').textContent = text;
}

function show(section) {
  for (const id of SECTIONS) byId(id).hidden = id !== section;
  const inside = section !== 'sign-in';
  byId('nav').hidden = !inside;
  byId('who').hidden = !inside;
  byId('who').querySelector('[data-testid="signed-in-as"]').textContent = inside ? signedInAs() : '';
  for (const link of byId('nav').querySelectorAll('a')) {
    const current = link.getAttribute('href') === `#${section === 'user' ? 'users' : section}`;
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function showSignIn(message = '') {
  resetUsers();
  resetFigures();
  resetJobs();
  show('sign-in');
  byId('sign-in-message').textContent = message;
  byId('sign-in').querySelector('input[name="email"]').focus();
}

/** Shows what failed: a session that ended or a non-admin goes back to the sign-in form, the rest above the view. */
function report(error) {
  if (error instanceof ApiFailure && error.code === 'forbidden') {
    void signOut()
      .catch(() => undefined)
      .finally(() => showSignIn(NOT_ADMIN));
  } else if (error instanceof ApiFailure && error.sessionEnded) {
    showSignIn(`Signed out (${error.code}): sign in again.`);
  } else if (error instanceof ApiFailure) {
    problem(`${error.message} (${error.code}${error.requestId ? `, request ${error.requestId}` : ''})`);
  } else {
    problem(`Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function route() {
  problem('');
  if (!signedIn()) return showSignIn();
  const [name, ...rest] = location.hash.slice(1).split('/');
  const view = Object.hasOwn(VIEWS, name) && (name !== 'user' || rest.length > 0) ? name : 'users';
  show(view);
  await VIEWS[view](decodeURIComponent(rest.join('/')));
}

async function submitSignIn(form) {
  const data = new FormData(form);
  byId('sign-in-message').textContent = 'Signing in…';
  try {
    await signIn(String(data.get('email')).trim(), String(data.get('password')));
    // The first admin call tells an admin from anyone else (403 forbidden).
    await request('GET', '/admin/jobs?state=dead&limit=1');
  } catch (error) {
    if (error instanceof ApiFailure && error.code === 'forbidden') {
      await signOut().catch(() => undefined);
      byId('sign-in-message').textContent = NOT_ADMIN;
    } else {
      byId('sign-in-message').textContent = error instanceof ApiFailure ? error.message : 'The server could not be reached.';
    }
    return;
  }
  form.reset();
  await route();
}

function setUp() {
  const form = byId('sign-in').querySelector('form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitSignIn(form).catch(report);
  });
  byId('sign-out').addEventListener('click', () => {
    void signOut()
      .catch(() => undefined)
      .finally(() => {
        history.replaceState(null, '', location.pathname);
        showSignIn('Signed out.');
      });
  });
  setUpUsers(report);
  setUpTimeline(report);
  setUpFigures(report);
  setUpJobs(report);
  // A new action starts with no old failure shown.
  document.addEventListener('submit', () => problem(''), true);
  document.addEventListener('click', (event) => event.target.closest('button, a') && problem(''), true);
  window.addEventListener('hashchange', () => route().catch(report));
  route().catch(report);
}

setUp();
