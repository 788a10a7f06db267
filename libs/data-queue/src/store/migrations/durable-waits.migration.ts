import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Durable waits: `waiting` jobs become claimable again at `available_at` (a timer's end, a
 * token's timeout) or when their token completes, so the runnable indexes now cover them.
 */
export function durableWaitsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  const runnable = `status IN ('pending', 'failed', 'waiting') AND available_at IS NOT NULL`;
  return class DataQueueDurableWaits1764060000000 implements MigrationInterface {
    name = 'DataQueueDurableWaits1764060000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        ALTER TABLE ${s}.jobs
          ADD COLUMN steps jsonb NOT NULL DEFAULT '{}',
          ADD COLUMN wait jsonb,
          ADD COLUMN wait_token text`);
      await runner.query(`CREATE INDEX jobs_wait_token ON ${s}.jobs (wait_token) WHERE status = 'waiting'`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable_by_queue`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable`);
      await runner.query(`CREATE INDEX jobs_runnable_by_queue ON ${s}.jobs (queue, priority, available_at, id) WHERE ${runnable}`);
      await runner.query(`CREATE INDEX jobs_runnable ON ${s}.jobs (priority, available_at, id) INCLUDE (queue) WHERE ${runnable}`);
    }

    async down(runner: QueryRunner): Promise<void> {
      const previous = `status IN ('pending', 'failed') AND available_at IS NOT NULL`;
      await runner.query(`DROP INDEX ${s}.jobs_runnable_by_queue`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable`);
      await runner.query(`CREATE INDEX jobs_runnable_by_queue ON ${s}.jobs (queue, priority, available_at, id) WHERE ${previous}`);
      await runner.query(`CREATE INDEX jobs_runnable ON ${s}.jobs (priority, available_at, id) INCLUDE (queue) WHERE ${previous}`);
      await runner.query(`DROP INDEX ${s}.jobs_wait_token`);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN steps, DROP COLUMN wait, DROP COLUMN wait_token`);
    }
  };
}
