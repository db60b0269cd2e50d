// Snapshots as one binary Postgres array per column (node-postgres sends a Buffer as binary), which Postgres reads without
// parsing text (docs/design.md, "Reconcile"). Values are checked first (snapshotFromSupabase / snapshotFromClaims).
import type { UserSnapshot } from './user-snapshot.js';
import { instantOf } from '../common/rfc3339.js';

/** Type OIDs of the array elements (pg_type). */
const OID = { bool: 16, text: 25, timestamptz: 1184, uuid: 2950, jsonb: 3802 } as const;

/** The snapshot columns as `unnest` of the first SNAPSHOT_PARAMS parameters, aliased `alias`. */
export function snapshotInput(alias: string): string {
  return `unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
      $7::timestamptz[], $8::text[], $9::boolean[], $10::jsonb[], $11::jsonb[], $12::timestamptz[], $13::timestamptz[])
    AS ${alias}(id, email, phone, email_confirmed_at, phone_confirmed_at, last_sign_in_at, banned_until, role,
      is_anonymous, app_metadata, user_metadata, created_at, updated_at)`;
}

/** How many parameters snapshotParams makes (a statement's own parameters follow them). */
export const SNAPSHOT_PARAMS = 13;

/** The parameters of snapshotInput, in its order. */
export function snapshotParams(snapshots: readonly UserSnapshot[]): Buffer[] {
  return [
    uuidArray(snapshots.map((s) => s.id)),
    textArray(snapshots.map((s) => s.email)),
    textArray(snapshots.map((s) => s.phone)),
    timestampArray(snapshots.map((s) => s.emailConfirmedAt)),
    timestampArray(snapshots.map((s) => s.phoneConfirmedAt)),
    timestampArray(snapshots.map((s) => s.lastSignInAt)),
    timestampArray(snapshots.map((s) => s.bannedUntil)),
    textArray(snapshots.map((s) => s.role)),
    boolArray(snapshots.map((s) => s.isAnonymous)),
    jsonbArray(snapshots.map((s) => s.appMetadata)),
    jsonbArray(snapshots.map((s) => s.userMetadata)),
    timestampArray(snapshots.map((s) => s.createdAt)),
    timestampArray(snapshots.map((s) => s.updatedAt)),
  ];
}

// The binary array format (array_recv): dimensions (1), has-nulls flag, element type, length,
// lower bound (1), then each element as a 4-byte length (-1 for NULL) and its bytes.
const HEADER_BYTES = 20;

function writeHeader(buffer: Buffer, elementType: number, length: number, hasNulls: boolean): number {
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(hasNulls ? 1 : 0, 4);
  buffer.writeInt32BE(elementType, 8);
  buffer.writeInt32BE(length, 12);
  buffer.writeInt32BE(1, 16);
  return HEADER_BYTES;
}

const HEX_VALUES = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(digit)] = digit;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(digit)] = digit;
}

/** A uuid[] of canonical UUID text (8-4-4-4-12 hex digits): 16 bytes each. */
export function uuidArray(ids: readonly string[]): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + ids.length * 20);
  let at = writeHeader(buffer, OID.uuid, ids.length, false);
  for (const id of ids) {
    if (id.length !== 36) throw new TypeError(`not a UUID: ${JSON.stringify(id)}`);
    buffer.writeInt32BE(16, at);
    at += 4;
    let digits = 0;
    let high = 0;
    for (let i = 0; i < 36; i++) {
      const code = id.charCodeAt(i);
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (code !== 45) throw new TypeError(`not a UUID: ${JSON.stringify(id)}`);
        continue;
      }
      const value = HEX_VALUES[code] ?? -1;
      if (value < 0) throw new TypeError(`not a UUID: ${JSON.stringify(id)}`);
      if (digits++ % 2 === 0) high = value << 4;
      else buffer[at++] = high | value;
    }
  }
  return buffer;
}

/** A text[] (or, with the jsonb version byte, a jsonb[] of JSON text): UTF-8 bytes each. */
function textArray(values: ReadonlyArray<string | null>, elementType: number = OID.text): Buffer {
  const prefix = elementType === OID.jsonb ? 1 : 0;
  let capacity = HEADER_BYTES;
  let hasNulls = false;
  for (const value of values) {
    if (value === null) hasNulls = true;
    capacity += 4 + (value === null ? 0 : prefix + value.length * 3); // at most 3 UTF-8 bytes per UTF-16 unit
  }
  const buffer = Buffer.allocUnsafe(capacity);
  let at = writeHeader(buffer, elementType, values.length, hasNulls);
  for (const value of values) {
    if (value === null) {
      buffer.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    if (prefix) buffer[at + 4] = 1; // jsonb's binary format: version 1, then the JSON text
    const written = buffer.write(value, at + 4 + prefix, 'utf8');
    buffer.writeInt32BE(prefix + written, at);
    at += 4 + prefix + written;
  }
  return buffer.subarray(0, at);
}

function jsonbArray(values: ReadonlyArray<Record<string, unknown>>): Buffer {
  return textArray(
    values.map((value) => JSON.stringify(value)),
    OID.jsonb,
  );
}

function boolArray(values: readonly boolean[]): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + values.length * 5);
  let at = writeHeader(buffer, OID.bool, values.length, false);
  for (const value of values) {
    buffer.writeInt32BE(1, at);
    buffer[at + 4] = value ? 1 : 0;
    at += 5;
  }
  return buffer;
}

/** A timestamptz[]: microseconds since 2000-01-01 00:00 UTC, 8 bytes each. */
export function timestampArray(values: ReadonlyArray<string | null>): Buffer {
  const hasNulls = values.includes(null);
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + values.length * 12);
  let at = writeHeader(buffer, OID.timestamptz, values.length, hasNulls);
  for (const value of values) {
    if (value === null) {
      buffer.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    buffer.writeInt32BE(8, at);
    const { seconds, micros } = postgresTime(value);
    if (Math.abs(seconds) < 9e9) {
      // Exact in a double (below 2^53 µs, about 285 years either side of 2000): two 32-bit halves.
      const total = seconds * 1_000_000 + micros;
      const high = Math.floor(total / 0x1_0000_0000);
      buffer.writeInt32BE(high, at + 4);
      buffer.writeUInt32BE(total - high * 0x1_0000_0000, at + 8);
    } else {
      buffer.writeBigInt64BE(BigInt(seconds) * 1_000_000n + BigInt(micros), at + 4);
    }
    at += 12;
  }
  return buffer.subarray(0, at);
}

/** Seconds from 1970-01-01 to 2000-01-01 UTC (Postgres' epoch). */
const POSTGRES_EPOCH_SECONDS = 946_684_800;

/** An RFC 3339 timestamp (already checked by isTimestamp) as Postgres' timestamptz: seconds since 2000-01-01 UTC, microseconds. */
function postgresTime(text: string): { seconds: number; micros: number } {
  const { seconds, micros } = instantOf(text);
  return { seconds: seconds - POSTGRES_EPOCH_SECONDS, micros };
}
