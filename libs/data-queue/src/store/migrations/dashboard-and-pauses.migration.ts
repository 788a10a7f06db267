import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Pauses, and the indexes the dashboard's filters and charts page through (keyset on id). */
export function dashboardAndPausesMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueDashboardAndPauses1764058400000 implements MigrationInterface {
    name = 'DataQueueDashboardAndPauses1764058400000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.pauses (
          kind      text        NOT NULL CHECK (kind IN ('queue', 'jobType', 'tag')),
          value     text        NOT NULL,
          paused_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (kind, value)
        )`);
      await runner.query(`CREATE INDEX jobs_by_queue ON ${s}.jobs (queue, id)`);
      await runner.query(`CREATE INDEX jobs_by_type ON ${s}.jobs (job_type, id)`);
      await runner.query(`CREATE INDEX jobs_by_tag ON ${s}.jobs USING gin (tags)`);
      await runner.query(`CREATE INDEX jobs_completed_at ON ${s}.jobs (completed_at) WHERE completed_at IS NOT NULL`);
      await runner.query(`CREATE INDEX jobs_failed_at ON ${s}.jobs (last_failed_at) WHERE last_failed_at IS NOT NULL`);
      await runner.query(`CREATE INDEX batches_by_created ON ${s}.batches (created_at, id)`);
    }

    async down(runner: QueryRunner): Promise<void> {
      for (const index of ['jobs_by_queue', 'jobs_by_type', 'jobs_by_tag', 'jobs_completed_at', 'jobs_failed_at', 'batches_by_created']) {
        await runner.query(`DROP INDEX ${s}.${index}`);
      }
      await runner.query(`DROP TABLE ${s}.pauses`);
    }
  };
}
