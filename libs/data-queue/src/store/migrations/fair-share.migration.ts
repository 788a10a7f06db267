import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Fair share (docs/fair-share.md): each job has a fair key (its tenant; '' is the default key
 * that every job without one shares) and a weight, captured at enqueue.
 * - `jobs_runnable_by_queue` gains the key after the queue, so one index serves a claim of one
 *   key's line in order (priority, due time, id), whichever key it is.
 * - `jobs_runnable` (a claim across queues in plain order) keeps only default-key jobs: a claim
 *   of them never walks past a tenant's flood.
 * - `jobs_fair_keys` lists the keys with runnable work, one entry per keyed job: claims walk it
 *   one key at a time (a loose index scan), and it stays empty for apps that never set a key.
 * Both columns have constant defaults, so adding them rewrites nothing.
 */
export function fairShareMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  const runnable = `status IN ('pending', 'failed', 'waiting') AND available_at IS NOT NULL`;
  return class DataQueueFairShare1765500000000 implements MigrationInterface {
    name = 'DataQueueFairShare1765500000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        ALTER TABLE ${s}.jobs
          ADD COLUMN fair_key text NOT NULL DEFAULT '',
          ADD COLUMN fair_weight real NOT NULL DEFAULT 1`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable_by_queue`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable`);
      await runner.query(
        `CREATE INDEX jobs_runnable_by_queue ON ${s}.jobs (queue, fair_key, priority, available_at, id) WHERE ${runnable}`,
      );
      await runner.query(
        `CREATE INDEX jobs_runnable ON ${s}.jobs (priority, available_at, id) INCLUDE (queue) WHERE ${runnable} AND fair_key = ''`,
      );
      await runner.query(
        `CREATE INDEX jobs_fair_keys ON ${s}.jobs (queue, fair_key) INCLUDE (fair_weight) WHERE ${runnable} AND fair_key <> ''`,
      );
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_fair_keys`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable`);
      await runner.query(`DROP INDEX ${s}.jobs_runnable_by_queue`);
      await runner.query(`CREATE INDEX jobs_runnable_by_queue ON ${s}.jobs (queue, priority, available_at, id) WHERE ${runnable}`);
      await runner.query(`CREATE INDEX jobs_runnable ON ${s}.jobs (priority, available_at, id) INCLUDE (queue) WHERE ${runnable}`);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN fair_key, DROP COLUMN fair_weight`);
    }
  };
}
