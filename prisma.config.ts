// Prisma CLI configuration. Migrations run on the JavaScript schema engine through the
// project's own adapter (prisma/migration-adapter.ts), so no native engine is downloaded.
import { fileURLToPath } from 'node:url';
import { config as loadDotenv } from 'dotenv';
import { defineConfig } from 'prisma/config';
import { createMigrationAdapter, unrefLongTimers } from './prisma/migration-adapter.js';

// With a config file, Prisma no longer reads .env itself. The environment wins over .env.
loadDotenv({ quiet: true });
process.env.CHECKPOINT_DISABLE ??= '1'; // no update check: this machine may be offline
// Only the Prisma CLI loads this file: let it exit despite the schema engine's idle timers.
unrefLongTimers();
// The generated client needs no native query engine, but `prisma generate` downloads one
// unless this names an existing file.
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= fileURLToPath(new URL('./package.json', import.meta.url));

// Like Prisma's native engine, these commands create a missing database first.
const createsDatabase = /^(migrate (dev|deploy|reset)|db push)\b/.test(process.argv.slice(2).join(' '));

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  engine: 'js',
  experimental: { adapter: true },
  adapter: () => Promise.resolve(createMigrationAdapter(process.env.DATABASE_URL ?? '', { createDatabase: createsDatabase })),
});
