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
