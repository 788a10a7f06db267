import type { Pool, PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';

/** Runs one SQL statement and returns its rows: a pool, a transaction's client, or a TypeORM manager. */
export interface SqlExecutor {
  /**
   * `name` makes it a prepared statement on connections that support it, so Postgres parses
   * and plans it once per connection: worth it for the hot path's larger statements.
   */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
}

/** Uses a pg `Pool` or a checked-out client directly: the hot path skips TypeORM's query layer. */
export function pgExecutor(pg: Pool | PoolClient): SqlExecutor {
  return { rows: async (text, values, name) => (await pg.query({ text, values, name })).rows };
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
export async function inTransaction<T>(pool: Pool, work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // While checked out, a dropped connection emits 'error' on the client with no pool listener
  // attached, which would crash the process; the pending query rejects and reports it instead.
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const result = await work(pgExecutor(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}
