import type { HostAccessOptions } from '../http/host-access.js';

/**
 * Who may scrape: a `guard` (e.g. one checking the scraper's bearer token) or `public: true`.
 * Without either, every scrape is refused with a 403.
 */
export interface DataQueueMetricsOptions extends HostAccessOptions {
  /**
   * The fair keys per queue with a series of their own in `dataqueue_fair_key_backlog` and
   * `dataqueue_fair_key_running` (the most backlog first); the others are summed in one series.
   * An integer from 0 to 100, default 10: it bounds the series per queue to this plus two.
   */
  fairKeysPerQueue?: number;
}

/** Set at module registration (it shapes the route, so it cannot come from a factory). */
export interface DataQueueMetricsExtras {
  /** Mount path, default `metrics` (served at `GET /metrics`). */
  path?: string;
}
