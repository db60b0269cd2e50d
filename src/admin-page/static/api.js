// The JSON API of this same server, called with the admin's bearer token. The session is kept in
// sessionStorage: this tab only, gone when it closes, and read by no other origin (the page's
// Content-Security-Policy runs no script but this server's).

const STORAGE_KEY = 'authmirror.admin.session';
/** Refreshed this long before it expires, so that a call does not leave with a token about to lapse. */
const EARLY_MS = 30_000;
/** 401s that a new access token cures: an expired one, or one older than a change to the account. */
const REFRESHABLE = new Set(['invalid_token', 'token_stale']);

/** An answer outside 2xx, in the API's error shape. `sessionEnded` when the admin has to sign in again. */
export class ApiFailure extends Error {
  constructor(status, body, sessionEnded = false) {
    super(body && typeof body.message === 'string' ? body.message : `The server answered ${status}`);
    this.status = status;
    this.code = body && typeof body.code === 'string' ? body.code : `http_${status}`;
    this.requestId = body && typeof body.requestId === 'string' ? body.requestId : null;
    this.sessionEnded = sessionEnded;
  }
}

let session = load();
let refreshing = null;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function keep(next, email = session?.email ?? '') {
  session = { accessToken: next.accessToken, refreshToken: next.refreshToken, expiresAt: next.expiresAt, email };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

function forget() {
  session = null;
  sessionStorage.removeItem(STORAGE_KEY);
}

export const signedIn = () => session !== null;

async function send(method, path, body, token) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function failure(response, sessionEnded = false) {
  const body = await response.json().catch(() => null);
  return new ApiFailure(response.status, body, sessionEnded);
}

/** One refresh at a time: a refresh token works once, so concurrent calls wait for the same new session. */
function refresh() {
  const refreshToken = session?.refreshToken;
  refreshing ??= (async () => {
    const response = await send('POST', '/auth/refresh', { refreshToken });
    if (!response.ok) {
      forget();
      throw await failure(response, true);
    }
    keep((await response.json()).session);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * Calls the API as the signed-in admin; refreshes the session before it expires and once on a 401 that a new token
 * cures. Answers the parsed JSON (null for an empty answer), or the Response itself with `{ raw: true }`.
 */
export async function request(method, path, { body, raw = false } = {}) {
  if (!session) throw new ApiFailure(401, { code: 'signed_out', message: 'Sign in first' }, true);
  if (session.expiresAt * 1000 - Date.now() < EARLY_MS) await refresh();
  let response = await send(method, path, body, session.accessToken);
  if (response.status === 401) {
    const refused = await failure(response);
    if (!REFRESHABLE.has(refused.code)) {
      forget();
      refused.sessionEnded = true;
      throw refused;
    }
    await refresh();
    response = await send(method, path, body, session.accessToken);
    if (response.status === 401) {
      forget();
      throw await failure(response, true);
    }
  }
  if (!response.ok) throw await failure(response);
  if (raw) return response;
  const text = await response.text();
  return text === '' ? null : JSON.parse(text);
}

/** Signs in with email and password (POST /auth/login); answers the signed-in user. */
export async function signIn(email, password) {
  const response = await send('POST', '/auth/login', { email, password });
  if (!response.ok) throw await failure(response);
  const answer = await response.json();
  keep(answer.session, answer.user.email ?? answer.user.phone ?? '');
  return answer.user;
}

/** Ends this session only (other devices of the same person stay signed in), then forgets it. */
export async function signOut() {
  if (!session) return;
  try {
    await send('POST', '/auth/logout', { scope: 'local' }, session.accessToken);
  } finally {
    forget();
  }
}

/** Who is signed in (the email or phone of the login answer), for the header. */
export const signedInAs = () => session?.email ?? '';
