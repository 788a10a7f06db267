import { headerOf, originOf, ownOriginOf, type RequestHead } from './request-head.js';

/**
 * Why an action does not come from the dashboard's own pages, or null when its headers raise no
 * objection (OWASP "verify origin with standard headers"). A browser's `Sec-Fetch-Site` decides
 * when present: only `same-origin` passes (`none`, a typed or bookmarked navigation, is never our
 * script's fetch). Otherwise `Origin`, when present, must be the request's own origin (scheme and
 * Host) or one of `allowedOrigins`. Not `X-Forwarded-Host`: a page of another site may set that
 * header when the host app's CORS lets it, while only the browser sets Host. With neither header
 * (curl, server-to-server scripts) the CSRF token alone decides.
 */
export function crossOriginRefusal(request: RequestHead, allowedOrigins: readonly string[]): string | null {
  const fetchSite = headerOf(request, 'sec-fetch-site');
  if (fetchSite !== undefined) {
    return fetchSite === 'same-origin'
      ? null
      : `Sec-Fetch-Site "${fetchSite}" refused: actions are accepted only from the dashboard's own pages (same-origin)`;
  }
  const origin = headerOf(request, 'origin');
  if (origin === undefined) return null;
  const claimed = originOf(origin);
  const own = ownOriginOf(request);
  if (claimed !== null && (claimed === own || allowedOrigins.includes(claimed))) return null;
  return (
    `Origin "${origin}" refused: actions are accepted only from the dashboard's own origin (${own ?? 'no Host header'})` +
    ' or its allowedOrigins option (for a proxy that rewrites Host)'
  );
}
