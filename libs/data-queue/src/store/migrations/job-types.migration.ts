import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Job types' settings as published by the apps that have their handlers (see JobTypeCatalog):
 * a producer without the handler applies them at enqueue, so a job's queue, priority, attempts,
 * timeout, dead letter and concurrency rules never depend on which process enqueued it.
 */
export function jobTypesMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueJobTypes1764710000000 implements MigrationInterface {
    name = 'DataQueueJobTypes1764710000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.job_types (
          job_type     text        PRIMARY KEY,
          settings     jsonb       NOT NULL,
          published_by text        NOT NULL,
          published_at timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.job_types`);
    }
  };
}
