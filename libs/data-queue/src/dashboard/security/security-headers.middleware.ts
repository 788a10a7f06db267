import type { ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';

/**
 * The dashboard's own policy: its script and stylesheet are files of its own origin (no inline
 * script runs); `'unsafe-inline'` styles only for the `style="width: …"` of progress bars; the
 * `data:` image is the empty favicon. Nothing may frame it: its buttons act on jobs.
 */
const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent with every dashboard response (pages, error pages, assets, actions) besides the policy. */
const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

/**
 * Runs before the guards, so 403s and 404s carry the headers too. Headers the host app already
 * set (helmet, say) are kept; a Content-Security-Policy it set gets ours next to it: browsers
 * enforce both, so the host's policy is never loosened and ours always applies.
 */
@Injectable()
export class SecurityHeadersMiddleware implements NestMiddleware {
  use(_request: unknown, response: ServerResponse, next: () => void): void {
    const hostPolicy = response.getHeader('Content-Security-Policy');
    const hostPolicies = hostPolicy === undefined ? [] : Array.isArray(hostPolicy) ? hostPolicy : [String(hostPolicy)];
    response.setHeader('Content-Security-Policy', [...hostPolicies, DASHBOARD_CONTENT_SECURITY_POLICY]);
    for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) {
      if (!response.hasHeader(name)) response.setHeader(name, value);
    }
    next();
  }
}
