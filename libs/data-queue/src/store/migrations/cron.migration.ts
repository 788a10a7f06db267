import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Cron entries (shared by every process), and the one-job-per-tick guarantee on jobs. */
export function cronMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueCron1764058800000 implements MigrationInterface {
    name = 'DataQueueCron1764058800000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.cron_entries (
          key         text        PRIMARY KEY,
          schedule    text        NOT NULL,
          timezone    text        NOT NULL,
          job_type    text        NOT NULL,
          payload     jsonb       NOT NULL DEFAULT '{}',
          options     jsonb       NOT NULL DEFAULT '{}',
          -- Set by enable/disable, kept across deploys (declarations never overwrite it).
          enabled     boolean     NOT NULL DEFAULT true,
          last_run_at timestamptz,
          created_at  timestamptz NOT NULL DEFAULT now(),
          updated_at  timestamptz NOT NULL DEFAULT now()
        )`);
      await runner.query(`ALTER TABLE ${s}.jobs ADD COLUMN cron_key text, ADD COLUMN cron_at timestamptz`);
      // Any number of processes tick the same entry: the first insert of a tick wins, the rest do nothing.
      await runner.query(`CREATE UNIQUE INDEX jobs_cron_tick ON ${s}.jobs (cron_key, cron_at) WHERE cron_key IS NOT NULL`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_cron_tick`);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN cron_key, DROP COLUMN cron_at`);
      await runner.query(`DROP TABLE ${s}.cron_entries`);
    }
  };
}
