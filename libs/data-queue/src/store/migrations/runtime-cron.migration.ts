import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Runtime cron entries (`upsertCron`) beside those declared in code: `source` says who owns an
 * entry, `scheduled_since` is the instant its current schedule took effect (creation, a schedule or
 * zone change, a re-enable), before which no tick is ever enqueued, not even by a catch-up.
 */
export function runtimeCronMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueRuntimeCron1765000000000 implements MigrationInterface {
    name = 'DataQueueRuntimeCron1765000000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        ALTER TABLE ${s}.cron_entries
          ADD COLUMN source     text        NOT NULL DEFAULT 'code' CHECK (source IN ('code', 'runtime')),
          ADD COLUMN scheduled_since timestamptz`);
      await runner.query(`UPDATE ${s}.cron_entries SET scheduled_since = created_at`);
      await runner.query(
        `ALTER TABLE ${s}.cron_entries ALTER COLUMN scheduled_since SET NOT NULL, ALTER COLUMN scheduled_since SET DEFAULT now()`,
      );
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.cron_entries DROP COLUMN source, DROP COLUMN scheduled_since`);
    }
  };
}
