// Lint: typescript-eslint's type-checked rules (floating promises, unsafe any), import cycles,
// and the module boundaries of docs/design.md. Formatting is Prettier's (npm run format).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src/ lets the others import (docs/design.md, "Module boundaries"); the rest
 * is its own. Infrastructure that every feature uses (common, config, database) is open.
 */
const PUBLIC_FILES = {
  access: ['access.module.ts', 'access-registry.ts', 'access-events.ts'],
  accounts: ['accounts.module.ts'],
  admin: ['admin.module.ts'],
  'admin-page': ['admin-page.module.ts'],
  audit: ['audit.module.ts', 'audit.service.ts'],
  auth: ['auth.module.ts'],
  cli: [],
  devices: ['devices.module.ts', 'devices.service.ts', 'device-sightings.ts', 'device-listeners.ts', 'dto'],
  health: ['health.module.ts'],
  intake: ['intake.module.ts', 'pull-intake.service.ts'],
  jobs: ['jobs.module.ts', 'job-queue.service.ts'],
  metrics: ['metrics.module.ts', 'metrics.ts', 'canary-watch.ts'],
  profiles: ['profiles.module.ts', 'profiles.service.ts', 'profile-row.ts', 'dto'],
  'rate-limits': ['rate-limits.module.ts', 'rate-limits.service.ts'],
  reconcile: ['reconcile.module.ts', 'reconcile.service.ts', 'reconcile-run.ts'],
  storage: ['storage.module.ts'],
  supabase: [
    'supabase.module.ts',
    'supabase-admin.service.ts',
    'supabase-auth.service.ts',
    'supabase-database.service.ts',
    'supabase-sessions.service.ts',
    'supabase-user.ts',
    'remote-result.ts',
  ],
  users: [
    'users.module.ts',
    'users.service.ts',
    'user-snapshot.ts',
    'user-cleaners.ts',
    'phone-number.ts',
    'user-search.service.ts',
    'dto',
  ],
  webhooks: ['webhooks.module.ts', 'webhooks.service.ts', 'delivery-parser.ts'],
};

const boundaries = Object.entries(PUBLIC_FILES).map(([folder, open]) => ({
  target: ['./src/*.ts', `./src/!(${folder})/**`],
  from: `./src/${folder}`,
  except: open.map((file) => `./${file}`),
  message: `src/${folder} exports only ${open.join(', ') || 'nothing'} to the rest of src (see eslint.config.js)`,
}));

export default tseslint.config(
  { ignores: ['dist/', '.data/', 'coverage/', 'src/generated/', 'examples/react/dist/', 'examples/react/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
    },
  },
  {
    // The production entry (node dist/src/main.js) runs on `npm install --omit=dev`: src/ imports
    // dependencies only, and nothing of dev/, bench/ or test/.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false, optionalDependencies: false }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...boundaries,
            {
              target: './src',
              from: ['./dev', './bench', './test', './examples'],
              message: 'src/ runs in production: no dev/, bench/, test/ or examples/',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON answers as `any` and hold them to expectations; the assertions are the check.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stand-ins implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The operator page's browser scripts: API data reaches the DOM as text only.
    files: ['src/admin-page/static/**/*.js'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML'].map((property) => ({
          property,
          message: 'Use textContent or dom.js el(): data must never be markup',
        })),
        { property: 'insertAdjacentHTML', message: 'Use dom.js el(): data must never be markup' },
        { object: 'document', property: 'write', message: 'Use dom.js el(): data must never be markup' },
      ],
    },
  },
  prettier,
);
