import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';
import { enqueueFunctionSql } from './enqueue-function.js';
import { sqlEnqueueMigration } from './sql-enqueue.migration.js';

/**
 * Idempotency windows, replace and debounce (see `EnqueueOptions.idempotencyWindow`).
 * - Two nullable columns say how long a job holds its idempotency key: until
 *   `idempotency_expires_at`, or (`idempotency_until_finished`) while it is unfinished. NULL in
 *   both: for as long as the row exists, as before. No default, so adding them rewrites no row.
 * - `<schema>.enqueue` is replaced to take `idempotencyWindow`, `onDuplicate` and `debounceMs`
 *   the way `QueueService.enqueue` does (core/job-settings.validation.ts, store/insert-store.ts);
 *   see enqueue-function.ts.
 */
export function idempotencyWindowsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueIdempotencyWindows1764970000000 implements MigrationInterface {
    name = 'DataQueueIdempotencyWindows1764970000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(
        `ALTER TABLE ${s}.jobs ADD COLUMN idempotency_expires_at timestamptz, ADD COLUMN idempotency_until_finished boolean`,
      );
      await runner.query(enqueueFunctionSql(schema, 'idempotency-windows'));
    }

    /** Back to the columns and the function of DataQueueSqlEnqueue1764900000000. */
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP FUNCTION ${s}.enqueue(text, jsonb, jsonb)`);
      await runner.query(`DROP FUNCTION ${s}.enqueue_integer(text, jsonb, text, bigint, bigint, int)`);
      await new (sqlEnqueueMigration(schema))().up(runner);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN idempotency_expires_at, DROP COLUMN idempotency_until_finished`);
    }
  };
}
