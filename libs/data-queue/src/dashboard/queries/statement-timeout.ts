import { ServiceUnavailableException } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { errorCodeOf } from '../../store/sql/error-code.js';

/** How long Postgres lets one dashboard statement run before it stops it. */
export const DASHBOARD_STATEMENT_TIMEOUT_MS = 5000;

/** Postgres' SQLSTATE for a statement it cancelled (statement timeout, or pg_cancel_backend). */
const QUERY_CANCELED = '57014';

/**
 * Sets the transaction's statement_timeout and answers the one in force: the dashboard's, or the
 * connection's own when that is stricter (a role or pool setting is never loosened; 0 is none).
 */
const LIMIT_STATEMENTS = `SELECT set_config('statement_timeout', timeout.ms::text, true), timeout.ms AS "timeoutMs"
  FROM (SELECT least(nullif(setting::int, 0), $1::int) AS ms FROM pg_settings WHERE name = 'statement_timeout') AS timeout`;

/** A dashboard read that Postgres stopped; a 503 naming the limit. */
export class DashboardQueryStoppedError extends ServiceUnavailableException {
  constructor(
    readonly timeoutMs: number,
    cause: unknown,
  ) {
    super(
      `a dashboard query ran longer than its ${timeoutMs / 1000} s statement timeout and was stopped; ` +
        `narrow the page with filters, or try again later`,
      { cause },
    );
  }
}

/**
 * Runs `reads` in one transaction whose statements Postgres stops at the timeout. The setting is
 * transaction-local (SET LOCAL), so it holds through PgBouncer in transaction mode and never
 * leaks to the pool's next user. A cancelled statement becomes a DashboardQueryStoppedError;
 * every other error passes unchanged.
 */
export async function withStatementTimeout<T>(dataSource: DataSource, reads: (db: EntityManager) => Promise<T>): Promise<T> {
  let timeoutMs = DASHBOARD_STATEMENT_TIMEOUT_MS;
  try {
    return await dataSource.transaction(async (db) => {
      [{ timeoutMs }] = await db.query<{ timeoutMs: number }[]>(LIMIT_STATEMENTS, [DASHBOARD_STATEMENT_TIMEOUT_MS]);
      return reads(db);
    });
  } catch (error) {
    if (errorCodeOf(error) === QUERY_CANCELED) throw new DashboardQueryStoppedError(timeoutMs, error);
    throw error;
  }
}
