// RFC 3339 timestamps as Supabase sends them, checked and read in place: they are on the hot path
// of every delivery and every reconcile page (no Date, no match arrays).

/**
 * RFC 3339 as Supabase and Postgres write it (`T` or a space; offset `Z`, `+hh`, `+hhmm` or `+hh:mm`). The zone is
 * required: a zoneless time would be read in the database session's zone. A fraction has at most 20 digits (Supabase
 * sends 6 to 9; Postgres refuses a fraction of a hundred or so).
 */
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,20})?(?:Z|[+-]\d{2}(?::?\d{2})?)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two-digit number at `at` (the shape is checked first). */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/**
 * True when Postgres stores `text` as the same instant. Not Date.parse: it rolls February 30 into March and takes year 0,
 * which Postgres refuses (a failed statement, not a 400).
 */
export function isTimestamp(text: string): boolean {
  if (!RFC_3339.test(text)) return false;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return false;
  if (twoDigits(text, 11) > 23 || twoDigits(text, 14) > 59 || twoDigits(text, 17) > 59) return false;
  if (text.endsWith('Z')) return true;
  const sign = Math.max(text.lastIndexOf('+'), text.lastIndexOf('-'));
  const offsetMinutes = text.length - sign > 3 ? twoDigits(text, text.length - 2) : 0;
  return twoDigits(text, sign + 1) <= 15 && offsetMinutes <= 59;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * A checked timestamp as seconds since 1970 UTC and microseconds, a fraction past six digits rounded as Postgres does
 * (rint of the fraction read as a double, times a million).
 */
export function instantOf(text: string): { seconds: number; micros: number } {
  const days = daysFromCivil(twoDigits(text, 0) * 100 + twoDigits(text, 2), twoDigits(text, 5), twoDigits(text, 8));
  let seconds = days * 86_400 + twoDigits(text, 11) * 3_600 + twoDigits(text, 14) * 60 + twoDigits(text, 17);
  let at = 19;
  let micros = 0;
  if (text.charCodeAt(at) === 46) {
    const start = at;
    let digits = 0;
    for (at++; at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57; at++) {
      if (++digits <= 6) micros = micros * 10 + text.charCodeAt(at) - 48;
    }
    if (digits < 6) micros *= 10 ** (6 - digits);
    // Past the microsecond, Postgres' rounding; 1,000,000 carries into the next second in the sum below.
    else if (digits > 6) micros = roundHalfEven(Number(`0${text.slice(start, at)}`) * 1_000_000);
  }
  if (text.charCodeAt(at) !== 90) {
    const sign = text.charCodeAt(at) === 45 ? -1 : 1;
    const minutes = text.length - at > 3 ? twoDigits(text, text.length - 2) : 0;
    seconds -= sign * (twoDigits(text, at + 1) * 3_600 + minutes * 60);
  }
  return { seconds, micros };
}

/** C's rint() in the default rounding mode: to the nearest integer, halves to even. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}
