// Jest global teardown: stops the embedded Postgres of global-setup.ts and removes its
// data directory. Nothing to do when the tests ran against an external server.
import { rm } from 'node:fs/promises';
import type { TestPostgres } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const shared = globalThis as typeof globalThis & { authmirrorTestPostgres?: TestPostgres };
  const handle = shared.authmirrorTestPostgres;
  delete shared.authmirrorTestPostgres;
  try {
    await handle?.server?.stop();
  } finally {
    if (handle?.dir) await rm(handle.dir, { recursive: true, force: true });
  }
}
