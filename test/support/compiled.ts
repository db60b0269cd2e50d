// The service compiled and run as its own process (a CLI, an API to kill), against a test stack.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestStack } from './test-stack.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Compiles the project into `.data/<name>` (git-ignored, one folder per test file, so a
 * concurrent `npm run build` is not disturbed) and returns the folder.
 */
export async function compileInto(name: string): Promise<string> {
  const outDir = `${root}.data/${name}`;
  await mkdir(outDir, { recursive: true });
  await writeFile(`${outDir}/package.json`, '{"type":"module"}\n');
  // tsc emits even when another file of the tree has a type error; only the output matters here.
  await promisify(execFile)('node', [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`, '--outDir', outDir], {
    cwd: root,
  }).catch(() => undefined);
  return outDir;
}

/** The settings a spawned process needs to use the stack's database and auth server. */
export function stackEnv(stack: TestStack): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: stack.databaseUrl,
    SUPABASE_URL: stack.auth.url,
    SUPABASE_ANON_KEY: stack.auth.keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: stack.auth.keys.serviceRoleKey,
    LOG_LEVEL: 'silent',
  };
}
