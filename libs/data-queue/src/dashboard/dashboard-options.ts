import type { CanActivate, Type } from '@nestjs/common';
import type { LocaleCode } from './i18n/locales.js';

export interface DataQueueDashboardOptions {
  /**
   * Who may open the dashboard: any Nest guard (a class resolved through DI, or an instance),
   * e.g. the app's own auth guard. Without `guard`, access is denied unless `public: true`.
   */
  guard?: Type<CanActivate> | CanActivate;
  /** Serve the dashboard to anyone who can reach it (local development, a private network). */
  public?: boolean;
  /** Hide and refuse every action (retry, cancel, pause, …). */
  readOnly?: boolean;
  /** Locale when neither `?locale=` nor the browser's Accept-Language picks a supported one. */
  locale?: LocaleCode;
  /** Live refresh period when it is switched on (or `?poll=N` seconds), default 5. */
  pollSeconds?: number;
  /** Shown in the header and the page title, default "DataQueue". */
  title?: string;
}

/** Set at module registration (they shape the routes, so they cannot come from a factory). */
export interface DataQueueDashboardExtras {
  /** Mount path, default `queue` (the dashboard is served under `/queue`). */
  path?: string;
}
