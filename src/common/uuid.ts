const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its text form, either case (Supabase sends lower case; a header or a path may not). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
