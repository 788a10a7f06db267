import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** One row per finished attempt (duration, outcome, error), and what retention deletes by. */
export function historyAndRetentionMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueHistoryAndRetention1764059200000 implements MigrationInterface {
    name = 'DataQueueHistoryAndRetention1764059200000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.job_executions (
          id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          job_id      bigint      NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
          attempt     integer     NOT NULL,
          worker      text,
          started_at  timestamptz,
          finished_at timestamptz NOT NULL DEFAULT now(),
          outcome     text        NOT NULL
            CHECK (outcome IN ('completed', 'handler_error', 'timeout', 'no_handler', 'interrupted', 'handed_back', 'cancelled')),
          error       jsonb
        )`);
      await runner.query(`CREATE INDEX job_executions_by_job ON ${s}.job_executions (job_id, id)`);
      await runner.query(`CREATE INDEX jobs_cancelled_at ON ${s}.jobs (last_cancelled_at) WHERE status = 'cancelled'`);
      await runner.query(`CREATE INDEX batches_finished_at ON ${s}.batches (finished_at) WHERE finished_at IS NOT NULL`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.batches_finished_at`);
      await runner.query(`DROP INDEX ${s}.jobs_cancelled_at`);
      await runner.query(`DROP TABLE ${s}.job_executions`);
    }
  };
}
