import type { ClientBase, Pool, PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { DatabaseUnavailableError } from '../../core/data-queue.errors.js';
import { errorCodeOf } from './error-code.js';

/** Runs one SQL statement and returns its rows: a pool, a transaction's client, or a TypeORM manager. */
export interface SqlExecutor {
  /**
   * `name` makes it a prepared statement on connections that support it, so Postgres parses
   * and plans it once per connection: worth it for the hot path's larger statements.
   */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
}

export interface PgExecutorOptions {
  /** false: ignore statement names (a pooler in transaction mode moves clients between server connections). */
  prepared?: boolean;
}

/** Uses a pg `Pool` or a checked-out client directly: the hot path skips TypeORM's query layer. */
export function pgExecutor(pg: Pool | PoolClient | ClientBase, { prepared = true }: PgExecutorOptions = {}): SqlExecutor {
  return {
    rows: async (text, values, name) => {
      try {
        return (await pg.query({ text, values, name: prepared ? name : undefined })).rows;
      } catch (error) {
        throw asUnavailable(error);
      }
    },
  };
}

/** Connection-level failures (class 08, admin shutdown, refused/reset sockets), not SQL errors. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03']);

function asUnavailable(error: unknown): unknown {
  const code = errorCodeOf(error);
  const message = (error as Error)?.message ?? '';
  const lost = CONNECTION_CODES.has(code) || code.startsWith('08') || /Connection terminated|connection timeout/i.test(message);
  return lost ? new DatabaseUnavailableError(`database unavailable: ${message || code}`, { cause: error }) : error;
}

/**
 * Runs statements on the connection of a TypeORM transaction (`dataSource.transaction(m => …)`),
 * so they commit or roll back with the caller's work.
 */
export function managerExecutor(manager: EntityManager): SqlExecutor {
  const runner = manager.queryRunner;
  if (runner) return { rows: async (sql, params) => (await runner.query(sql, params, true)).records ?? [] };
  // A manager outside a transaction: borrow a runner per statement.
  return {
    rows: async (sql, params) => {
      const borrowed = manager.connection.createQueryRunner();
      try {
        return (await borrowed.query(sql, params, true)).records ?? [];
      } finally {
        await borrowed.release();
      }
    },
  };
}

/** Runs `work` in a transaction on one pooled connection. */
export async function inTransaction<T>(pool: Pool, work: (tx: SqlExecutor) => Promise<T>, options?: PgExecutorOptions): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw asUnavailable(error);
  });
  // While checked out, a dropped connection emits 'error' on the client with no pool listener
  // attached, which would crash the process; the pending query rejects and reports it instead.
  const ignore = () => undefined;
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(pgExecutor(client, options));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reported = asUnavailable(error);
    // A connection that failed must not go back to the pool.
    if (reported instanceof DatabaseUnavailableError) broken = reported;
    throw reported;
  } finally {
    client.off('error', ignore);
    client.release(broken);
  }
}
