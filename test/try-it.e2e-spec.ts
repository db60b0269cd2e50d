// The README's "Try it" is a file (examples/try-it.mjs): run against the stack as npm start runs
// it (the stand-in on a local Supabase database, the pull intake on), its output matches what the
// README shows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalSupabase, type LocalSupabase } from './support/local-supabase.js';
import { startTestStack, type TestStack } from './support/test-stack.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let supabase: LocalSupabase;
let stack: TestStack;

beforeAll(async () => {
  supabase = await startLocalSupabase({ pull: { notify: true } });
  stack = await startTestStack({
    auth: { databaseUrl: supabase.url },
    env: { SUPABASE_DB_URL: supabase.intakeUrl, SUPABASE_PULL_LISTEN: 'true', JOBS_ENABLED: 'true' },
  });
});

afterAll(async () => {
  await stack?.close();
  await supabase?.close();
});

/** The ```text block the README shows under `npm run try-it`. */
async function readmeOutput(): Promise<string[]> {
  const readme = await readFile(`${root}README.md`, 'utf8');
  const block = /npm run try-it\n```\n+prints:?\n+```text\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('the README shows no output of npm run try-it');
  return block[1].trim().split('\n');
}

const CREATED = /^created: (true|false) .*$/;
const normalise = (lines: string[]) => lines.map((line) => line.replace(/ada-[0-9a-f]{8}@/g, 'ada-…@').replace(CREATED, 'created: …'));

describe('npm run try-it', () => {
  it('prints what the README shows', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['examples/try-it.mjs'], {
      cwd: root,
      env: { ...process.env, SUPABASE_URL: stack.auth.url, API_URL: stack.url },
    });
    const printed = stdout.trim().split('\n');
    expect(normalise(printed)).toEqual(normalise(await readmeOutput()));
    const created = printed.find((line) => CREATED.test(line));
    expect([
      'created: false (the pull intake had already brought the new user to the mirror)',
      'created: true (this call mirrored the user)',
    ]).toContain(created);
  });
});
