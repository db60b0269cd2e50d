// Changes to user rows that routes make the way GoTrue makes them: metadata merges and a soft
// delete's obfuscation.
import { createHash } from 'node:crypto';

/** Shallow merge; a key set to null is deleted (GoTrue's UpdateUserMetaData/UpdateAppMetaData). */
export function mergeMetadata(target: Record<string, unknown>, updates: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) delete target[k];
    else target[k] = v;
  }
}

/** SHA-256 based obfuscation exactly like GoTrue's soft delete (`obfuscateValue`). */
export function obfuscateValue(id: string, value: string): string {
  return createHash('sha256')
    .update(id + value)
    .digest('base64url');
}
