import type { HostAccessOptions } from '../http/host-access.js';

/**
 * Who may scrape: a `guard` (e.g. one checking the scraper's bearer token) or `public: true`.
 * Without either, every scrape is refused with a 403.
 */
export interface DataQueueMetricsOptions extends HostAccessOptions {}

/** Set at module registration (it shapes the route, so it cannot come from a factory). */
export interface DataQueueMetricsExtras {
  /** Mount path, default `metrics` (served at `GET /metrics`). */
  path?: string;
}
