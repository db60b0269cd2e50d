import type { CountryCode } from 'libphonenumber-js';
// The full metadata: this runs on a server, where exact validity beats a smaller bundle.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isUniqueViolation } from '../database/database-errors.js';

/** Digits, spaces and the usual separators, with an optional leading `+`: anything else is refused. */
const PHONE_CHARACTERS = /^\+?[0-9\s().\-/]+$/;
/** Longer input is not a phone number (and is not worth parsing). */
const MAX_INPUT_LENGTH = 40;

/** The digits of an international number: `+…`, `00…`, or bare digits (how Supabase stores E.164, without `+`). */
function internationalDigits(raw: string): string | null {
  const text = raw.trim();
  if (text.length > MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(text)) return null;
  const digits = text.replace(/[^0-9]/g, '');
  if (text.startsWith('+')) return digits;
  return digits.startsWith('00') ? digits.slice(2) : digits;
}

/** A valid number in E.164 with its `+`, or null; national forms are read in `defaultCountry`, if given. */
export function toE164(raw: string, defaultCountry?: CountryCode): string | null {
  if (typeof raw !== 'string') return null;
  const text = raw.trim();
  const international = text.startsWith('+') || text.startsWith('00') || !defaultCountry;
  const digits = international ? internationalDigits(text) : null;
  if (international && !digits) return null;
  if (!international && (text.length > MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(text))) return null;
  const parsed = digits ? parsePhoneNumberFromString(`+${digits}`) : parsePhoneNumberFromString(text, defaultCountry);
  return parsed?.isValid() ? parsed.number : null;
}

/**
 * The stored and looked-up form: E.164 when valid, else `+digits` when plausibly E.164. Supabase is the authority, so a
 * number it accepted that libphonenumber does not know (a new range, +1 555 01xx) is kept, and still found by its digits.
 */
export function toStoredPhone(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const valid = toE164(raw);
  if (valid) return valid;
  const digits = internationalDigits(raw);
  return digits && /^[1-9][0-9]{7,14}$/.test(digits) ? `+${digits}` : null;
}

/** The index the phone lookup uses and the flagging guards: unique phone among live users. */
export const PHONE_INDEX = 'users_phone_live_key';

/** Two writes gave one number to two users at once and this one committed second: a retry sees the winner and flags it. */
export function isPhoneRace(error: unknown): boolean {
  return isUniqueViolation(error, PHONE_INDEX);
}
