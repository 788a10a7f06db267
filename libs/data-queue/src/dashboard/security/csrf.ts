import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CSRF_COOKIE } from '../dashboard.constants.js';

/**
 * Double-submit CSRF protection: pages carry a random token that is also set as a SameSite
 * cookie; an action must send it back in the `x-dataqueue-csrf` header. A cross-site page can
 * neither read the token nor set that header (it would need a CORS preflight we never grant).
 */
export function csrfTokenFrom(cookieHeader: string | undefined): string | null {
  const cookie = (cookieHeader ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${CSRF_COOKIE}=`));
  const token = cookie?.slice(CSRF_COOKIE.length + 1) ?? null;
  return token && /^[0-9a-f]{64}$/.test(token) ? token : null;
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('hex');
}

/** `secure` when the browser came over HTTPS, so the cookie never travels over plain HTTP after. */
export function csrfCookie(token: string, path: string, secure: boolean): string {
  return `${CSRF_COOKIE}=${token}; Path=${path}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function csrfTokenMatches(cookieToken: string | null, headerToken: string | undefined): boolean {
  if (!cookieToken || typeof headerToken !== 'string' || headerToken.length !== cookieToken.length) return false;
  return timingSafeEqual(Buffer.from(cookieToken), Buffer.from(headerToken));
}
