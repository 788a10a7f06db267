import type { HostAccessOptions } from '../http/host-access.js';
import type { LocaleCode } from './i18n/locales.js';

/** `guard` or `public: true` opens the dashboard (it shows payloads and acts on jobs). */
export interface DataQueueDashboardOptions extends HostAccessOptions {
  /** Hide and refuse every action (retry, cancel, pause, …). */
  readOnly?: boolean;
  /** Locale when neither `?locale=` nor the browser's Accept-Language picks a supported one. */
  locale?: LocaleCode;
  /** Live refresh period when it is switched on (or `?poll=N` seconds), default 5. */
  pollSeconds?: number;
  /** Shown in the header and the page title, default "DataQueue". */
  title?: string;
  /**
   * Origins (`https://admin.example.com`) whose pages may send actions besides the request's own
   * (scheme and Host header): for a reverse proxy that rewrites Host, as seen by browsers that
   * send `Origin` but not `Sec-Fetch-Site`. Default none.
   */
  allowedOrigins?: string[];
}

/** Set at module registration (they shape the routes, so they cannot come from a factory). */
export interface DataQueueDashboardExtras {
  /** Mount path, default `queue` (the dashboard is served under `/queue`). */
  path?: string;
}
