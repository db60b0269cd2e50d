import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { UserCleanerRegistry } from '../users/user-cleaners.js';
import { isUuid } from '../common/uuid.js';

/** Files users own, under `<STORAGE_DIR>/users/<id>/`; removed by a clean-up job when the user is deleted. */
@Injectable()
export class LocalStorageService implements OnModuleInit {
  private readonly root: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly cleaners: UserCleanerRegistry,
  ) {
    this.root = resolve(config.storageDir);
  }

  onModuleInit(): void {
    this.cleaners.register({ name: 'local-storage', clean: (userId) => this.deleteUserFiles(userId) });
  }

  /** The folder of a user's files (the id is checked, so no path can escape the root). */
  userDirectory(userId: string): string {
    // The canonical (lower-case) form only: one directory per user.
    if (!isUuid(userId) || userId !== userId.toLowerCase()) throw new Error('not a user id');
    return join(this.root, 'users', userId);
  }

  /** Idempotent: a missing folder is already clean. */
  async deleteUserFiles(userId: string): Promise<void> {
    await rm(this.userDirectory(userId), { recursive: true, force: true });
  }
}
