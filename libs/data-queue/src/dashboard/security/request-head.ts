/** The parts of a request's head the dashboard reads; the same on Express and Fastify. */
export interface RequestHead {
  headers: Record<string, string | string[] | undefined>;
  socket?: { encrypted?: boolean };
}

/** One header as a single string (repeated headers joined with `,`). */
export function headerOf(request: RequestHead, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Whether the browser reached the dashboard over HTTPS: the connection is TLS, or the proxy in
 * front that ended TLS says so in `X-Forwarded-Proto` (its first entry: the client-facing hop).
 * The header is taken without any "trust proxy" setting because it can only make the dashboard
 * stricter (a Secure cookie, an `https://` own origin): a client that forges it locks itself out.
 */
export function isHttps(request: RequestHead): boolean {
  if (request.socket?.encrypted) return true;
  return headerOf(request, 'x-forwarded-proto')?.split(',')[0].trim().toLowerCase() === 'https';
}

/** `scheme://host[:port]` the request was addressed to (its Host header), or null without a usable Host. */
export function ownOriginOf(request: RequestHead): string | null {
  const host = headerOf(request, 'host');
  return host ? originOf(`${isHttps(request) ? 'https' : 'http'}://${host}`) : null;
}

/** The serialised origin of an http(s) URL (lower-case host, default port dropped), or null. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}
