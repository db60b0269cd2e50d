// Postgres refuses NUL in `text` and `jsonb`, and unpaired UTF-16 surrogates in `jsonb` (a `text` column silently gets
// U+FFFD): such input is refused at the edge with a 4xx, rather than failing in the database.

/** A NUL, or a surrogate: the only characters worth a closer look. */
// eslint-disable-next-line no-control-regex -- the NUL is what this looks for
const SUSPECT = /[\u0000\ud800-\udfff]/;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Nesting deeper than this is refused too: no real profile or metadata comes close, and Postgres' JSON parser recurses. */
export const MAX_JSON_DEPTH = 1000;

export const UNSTORABLE_TEXT = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when Postgres can store the string as it is. */
export function isStorableString(value: string): boolean {
  return !SUSPECT.test(value) || (!value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value));
}

/** The path (`a.b[2]`) of the first unstorable string, key or too-deep value, or null; the path is built only on a failure (hot path). */
export function unstorableTextAt(value: unknown): string | null {
  return isStorableValue(value, 0) ? null : pathOfUnstorable(value, '', 0);
}

function isStorableValue(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return isStorableString(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (!isStorableValue(value[index], depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!isStorableString(key) || !isStorableValue((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function pathOfUnstorable(value: unknown, path: string, depth: number): string | null {
  if (typeof value === 'string') return isStorableString(value) ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return path;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = pathOfUnstorable(value[index], `${path}[${index}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!isStorableString(key)) return at;
    const found = pathOfUnstorable(item, at, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
