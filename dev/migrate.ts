// Applies the project's Prisma migrations to a database, through the project's own Prisma
// CLI and migration adapter (prisma.config.ts). Used by the dev launcher and by tests.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs `prisma migrate deploy` against `databaseUrl`; throws with the CLI's output on failure. */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const root = projectRoot();
  const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
  const { code, output } = await run(process.execPath, [cli, 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  if (code !== 0) {
    throw new Error(`prisma migrate deploy failed (exit ${code}) for ${redact(databaseUrl)}:\n${output}`);
  }
}

/** The folder holding this project's package.json, from dev/ or from dist/dev/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'authmirror') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no authmirror package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
