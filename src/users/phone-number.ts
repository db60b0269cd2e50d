import type { CountryCode } from 'libphonenumber-js';
// The full metadata: this runs on a server, where exact validity beats a smaller bundle.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isUniqueViolation } from '../database/database-errors.js';

/** Digits, spaces and the usual separators, with an optional leading `+`: anything else is refused. */
const PHONE_CHARACTERS = /^\+?[0-9\s().\-/]+$/;
/** Longer input is not a phone number (and is not worth parsing). */
const MAX_INPUT_LENGTH = 40;

/**
 * The number written as an international one: `+…` and `00…` (the common international prefix)
 * are international, and so are bare digits, which is how Supabase stores phones (E.164
 * without its `+`). Null when the text holds anything but digits and separators.
 */
function internationalDigits(raw: string): string | null {
  const text = raw.trim();
  if (text.length > MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(text)) return null;
  const digits = text.replace(/[^0-9]/g, '');
  if (text.startsWith('+')) return digits;
  return digits.startsWith('00') ? digits.slice(2) : digits;
}

/**
 * A phone number in E.164 with its `+` (`+12345678901`), or null when it cannot be parsed or is
 * not a valid number. Accepts the common written forms: `+1 (234) 567-8901`, `001 234 567 8901`,
 * Supabase's bare `12345678901`. With `defaultCountry`, a number in national form
 * (`(234) 567-8901`, `07700 900123`) is read in that country; without it, bare digits are
 * international (as Supabase stores them).
 */
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
 * The form a phone number is stored and looked up in: its E.164 from `toE164` when it is a valid
 * number; otherwise, when it is written internationally and is plausibly E.164 (8 to 15 digits,
 * not starting with 0), `+` and its digits. Supabase is the authority on identity: a number it
 * accepted that our metadata does not know (a new range, a reserved test range such as
 * +1 555 01xx) is kept rather than lost, and the lookup reads input the same way, so such a
 * number is still found by its digits. Null for anything else.
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

/**
 * A unique violation on the live-phone index: two statements gave one number to two users at the
 * same moment, both saw it free, and the second to commit failed. A retry sees the winner's row
 * and flags the number instead (users.repository.ts; DatabaseService.transaction's retryOnceIf).
 */
export function isPhoneRace(error: unknown): boolean {
  return isUniqueViolation(error, PHONE_INDEX);
}
