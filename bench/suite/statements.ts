/**
 * Postgres's own execution time of chosen statements over a stretch of work, from
 * pg_stat_statements: only on a server that loads it (`shared_preload_libraries`); main.ts then
 * creates the extension. The embedded server does not load it.
 */
import type { AdminDb } from './util.js';

export interface StatementTotals {
  calls: number;
  execMs: number;
}

export class StatementMeter {
  private constructor(private readonly admin: AdminDb) {}

  /** None when the server does not load pg_stat_statements or the extension is not created. */
  static async locate(admin: AdminDb): Promise<StatementMeter | undefined> {
    const [{ loaded }] = await admin.query<{ loaded: boolean }>(
      `SELECT current_setting('shared_preload_libraries') ~ 'pg_stat_statements'
              AND EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_stat_statements') AS loaded`,
    );
    return loaded ? new StatementMeter(admin) : undefined;
  }

  /** Forgets every statement's totals (the server's, not only this bench's). */
  async reset(): Promise<void> {
    await this.admin.query('SELECT pg_stat_statements_reset()');
  }

  /** The totals since the last reset of the statements whose normalized text matches every LIKE pattern. */
  async totals(patterns: string[]): Promise<StatementTotals> {
    const [row] = await this.admin.query<{ calls: string; exec_ms: number }>(
      `SELECT coalesce(sum(calls), 0)::text AS calls, coalesce(sum(total_exec_time), 0)::float8 AS exec_ms
       FROM pg_stat_statements WHERE query LIKE ALL($1::text[])`,
      [patterns],
    );
    return { calls: Number(row.calls), execMs: row.exec_ms };
  }
}
