// The benchmark's users: signed up and signed in through the auth stand-in's Supabase HTTP API,
// then synced once through the API so that their mirror rows and profiles exist.

export interface BenchUser {
  email: string;
  id: string;
  accessToken: string;
}

interface Session {
  access_token?: string;
  user?: { id?: string };
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, json };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Signs up `count` users (autoconfirm) and signs each in with its password. */
export async function createUsers(authUrl: string, anonKey: string, count: number, runId: string): Promise<BenchUser[]> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  return inParallel(indexes, 16, async (i) => {
    const email = `bench-${runId}-${i}@example.com`;
    const password = `bench-password-${i}`;
    const headers = { apikey: anonKey };
    const signup = await post(`${authUrl}/auth/v1/signup`, headers, {
      email,
      password,
      data: { first_name: `Bench${i}`, last_name: 'User' },
    });
    if (signup.status !== 200) throw new Error(`signup of ${email} answered ${signup.status}: ${JSON.stringify(signup.json)}`);
    const signin = await post(`${authUrl}/auth/v1/token?grant_type=password`, headers, { email, password });
    const session = signin.json as Session;
    if (signin.status !== 200 || !session.access_token || !session.user?.id) {
      throw new Error(`sign-in of ${email} answered ${signin.status}: ${JSON.stringify(signin.json)}`);
    }
    return { email, id: session.user.id, accessToken: session.access_token };
  });
}

/** `POST /auth/users/sync` once per user; each must answer 200 with the user created. */
export async function syncUsers(apiUrl: string, users: BenchUser[]): Promise<void> {
  await inParallel(users, 16, async (user) => {
    const result = await post(`${apiUrl}/auth/users/sync`, { authorization: `Bearer ${user.accessToken}` }, undefined);
    const body = result.json as { user?: { id?: string }; created?: boolean };
    if (result.status !== 200 || body.user?.id !== user.id) {
      throw new Error(`sync of ${user.email} answered ${result.status}: ${JSON.stringify(result.json)}`);
    }
  });
}

/**
 * Asks each server for the same users' `GET /users/me` and requires identical bodies: the
 * baselines must do the same work as the API, not less.
 */
export async function checkSameAnswers(servers: Record<string, string>, users: BenchUser[]): Promise<void> {
  for (const user of users) {
    let reference: { name: string; body: string } | null = null;
    for (const [name, url] of Object.entries(servers)) {
      const response = await fetch(`${url}/users/me`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${name} GET /users/me answered ${response.status}: ${body}`);
      const canonical = JSON.stringify(JSON.parse(body));
      if (!reference) reference = { name, body: canonical };
      else if (canonical !== reference.body) {
        throw new Error(`${name} and ${reference.name} answer GET /users/me differently:\n${canonical}\n${reference.body}`);
      }
    }
  }
}
