import { expect } from '@jest/globals';
import type { TestStack } from './test-stack.js';

/** An entry of GET /admin/users/{id}'s timeline. */
export type TimelineEntry = { at: string; type: string; details: Record<string, unknown> };

/** Every entry of the user's timeline, read as `adminToken` in pages of `limit` by their cursors. */
export async function wholeTimeline(stack: TestStack, adminToken: string, id: string, limit: number): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  let cursor: string | null = null;
  do {
    const page = await stack.request('GET', `/admin/users/${id}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken });
    expect(page.status).toBe(200);
    entries.push(...(page.body.timeline as TimelineEntry[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return entries;
}
