import { validationFailed } from '../../common/errors.js';

/** Keys GoTrue keeps itself (the user's sign-in providers): an admin's change may not touch them. */
const GOTRUE_KEYS = new Set(['provider', 'providers']);
const MAX_KEYS = 50;
const MAX_BYTES = 16 * 1024;

/** The keys to merge into `app_metadata` (null removes one), checked; a 400 naming what is wrong otherwise. */
export function appMetadataPatch(body: unknown): Record<string, unknown> {
  const problem = (text: string) => validationFailed([{ field: 'body', problems: [text] }]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw problem('the body must be a JSON object of keys to merge');
  const keys = Object.keys(body);
  if (keys.length === 0) throw problem('the body must name at least one key');
  if (keys.length > MAX_KEYS) throw problem(`at most ${MAX_KEYS} keys at once`);
  const reserved = keys.filter((key) => GOTRUE_KEYS.has(key));
  if (reserved.length > 0) throw problem(`${reserved.join(', ')} belong to Supabase Auth and cannot be changed`);
  if (keys.some((key) => key.length === 0 || key.length > 100)) throw problem('keys must be 1 to 100 characters');
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_BYTES) throw problem(`the body must be under ${MAX_BYTES / 1024} KB`);
  return body as Record<string, unknown>;
}
