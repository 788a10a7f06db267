import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * The tag index covers tagged jobs only. A job's claim and completion change its status, so
 * every index gets a new entry on each (no HOT update is possible); an untagged job no longer
 * pays for a GIN entry twice per attempt. Tag filters say `tags <> '{}'` to use it.
 */
export function leanTagIndexMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueLeanTagIndex1764150000000 implements MigrationInterface {
    name = 'DataQueueLeanTagIndex1764150000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_by_tag`);
      await runner.query(`CREATE INDEX jobs_by_tag ON ${s}.jobs USING gin (tags) WHERE tags <> '{}'`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_by_tag`);
      await runner.query(`CREATE INDEX jobs_by_tag ON ${s}.jobs USING gin (tags)`);
    }
  };
}
