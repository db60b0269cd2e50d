// The stand-in's state file: read once at start, written behind every change (one writer at a
// time, atomic rename), so that `npm start` keeps its users across restarts.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoredIdentity, StoredRefreshToken, StoredSession, StoredUser } from './rows.js';

export interface PersistedState {
  version: 1;
  users: StoredUser[];
  identities: StoredIdentity[];
  sessions: StoredSession[];
  refreshTokens: StoredRefreshToken[];
}

/** The state in `path`, or null when there is no such file yet. */
export function readState(path: string): PersistedState | null {
  if (!existsSync(path)) return null;
  let state: PersistedState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
  } catch (e) {
    throw new Error(`auth stand-in: cannot read state file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!state || state.version !== 1) throw new Error(`auth stand-in: unsupported state file ${path}`);
  return state;
}

export class StateWriter {
  private persistTimer: NodeJS.Timeout | null = null;
  private persistRunning: Promise<void> | null = null;
  private persistDirty = false;

  constructor(
    private readonly path: string,
    /** The state to write, taken when a write starts. */
    private readonly snapshot: () => PersistedState,
  ) {}

  schedule(): void {
    this.persistDirty = true;
    if (this.persistTimer || this.persistRunning) return; // a running loop picks it up
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.startPersistLoop();
    }, 25);
  }

  private startPersistLoop(): Promise<void> {
    if (!this.persistRunning) {
      this.persistRunning = this.persistLoop().finally(() => {
        this.persistRunning = null;
        // A change that slipped in after the loop's last check.
        if (this.persistDirty) this.schedule();
      });
    }
    return this.persistRunning;
  }

  /** Writes until no change is pending; one loop at a time (single writer, atomic rename). */
  private async persistLoop(): Promise<void> {
    const path = this.path;
    while (this.persistDirty) {
      this.persistDirty = false;
      const data = JSON.stringify(this.snapshot());
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        mkdirSync(dirname(path), { recursive: true });
        await writeFile(tmp, data, { mode: 0o600 });
        await rename(tmp, path);
      } catch (e) {
        process.emitWarning(`auth stand-in: could not persist state: ${(e as Error).message}`);
      }
    }
  }

  /** Write pending state now (used on close). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.persistTimer) {
        clearTimeout(this.persistTimer);
        this.persistTimer = null;
      }
      if (this.persistRunning) await this.persistRunning;
      else if (this.persistDirty) await this.startPersistLoop();
      else return;
    }
  }
}
