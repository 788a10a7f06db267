import { isJobId } from '../../queue/ids.js';

/** Opaque keyset cursors for dashboard pages: the sort key of the last row shown. */
export function encodeKeyset(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeKeyset(cursor: string): Record<string, string> | null {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (typeof key !== 'object' || key === null) return null;
    return Object.values(key).every((value) => typeof value === 'string') ? (key as Record<string, string>) : null;
  } catch {
    return null;
  }
}

/** The cursor of a walk over jobs newest first: it goes on below job `id`. */
export function encodeJobCursor(id: string): string {
  return encodeKeyset({ id });
}

/** The job id a job cursor goes on below, or null when `cursor` is not one. */
export function decodeJobCursor(cursor: string): string | null {
  const id = decodeKeyset(cursor)?.id;
  return isJobId(id) ? id : null;
}
