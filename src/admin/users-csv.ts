import type { ProfileResponse } from '../profiles/dto/profile.dto.js';
import type { UserResponse } from '../users/dto/user.dto.js';

type Item = { user: UserResponse; profile: ProfileResponse | null };

/** The CSV's columns: a header, and how each is read from a user and profile. */
const COLUMNS: Array<[string, (item: Item) => string | boolean | null]> = [
  ['id', ({ user }) => user.id],
  ['email', ({ user }) => user.email],
  ['phone', ({ user }) => user.phone],
  ['created_at', ({ user }) => user.createdAt],
  ['last_sign_in_at', ({ user }) => user.lastSignInAt],
  ['email_confirmed_at', ({ user }) => user.emailConfirmedAt],
  ['phone_confirmed_at', ({ user }) => user.phoneConfirmedAt],
  ['providers', ({ user }) => (Array.isArray(user.appMetadata.providers) ? (user.appMetadata.providers as unknown[]).join(' ') : null)],
  ['display_name', ({ profile }) => profile?.displayName ?? null],
  ['first_name', ({ profile }) => profile?.firstName ?? null],
  ['last_name', ({ profile }) => profile?.lastName ?? null],
  ['industry', ({ profile }) => profile?.industry ?? null],
  ['job_title', ({ profile }) => profile?.jobTitle ?? null],
  ['onboarding_completed', ({ profile }) => profile?.onboardingCompleted ?? false],
  ['onboarded_at', ({ profile }) => profile?.onboardedAt ?? null],
];

export const CSV_HEADER = `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

/**
 * One RFC 4180 field. Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start: a name is
 * anyone's to choose) gets a leading `'`, as OWASP's CSV injection advice says.
 */
function field(value: string | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV lines of a page of users. */
export function csvLines(items: readonly Item[]): string {
  return items.map((item) => `${COLUMNS.map(([, read]) => field(read(item))).join(',')}\r\n`).join('');
}
