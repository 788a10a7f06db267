import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Job dependencies (`dependsOn`): the `blocked` status, a dependent's counter of unsatisfied
 * dependencies and failure rule, a prerequisite's "has dependents" flag, and the edges. An edge
 * has no foreign key to its prerequisite: retention may delete a finished prerequisite, and the
 * edge keeps its outcome. The new columns have constant defaults (or none), so no table rewrite.
 * The concurrency keys' partial index is rebuilt with `blocked` in its predicate, which
 * UNFINISHED (now including `blocked`) must keep implying.
 */
export function jobDependenciesMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueJobDependencies1765100000000 implements MigrationInterface {
    name = 'DataQueueJobDependencies1765100000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs DROP CONSTRAINT jobs_status_check`);
      await runner.query(`
        ALTER TABLE ${s}.jobs
          ADD CONSTRAINT jobs_status_check
            CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting', 'blocked')),
          ADD COLUMN dependencies_left     integer,
          ADD COLUMN on_dependency_failure text CHECK (on_dependency_failure IN ('cancel', 'fail', 'run')),
          ADD COLUMN has_dependents        boolean NOT NULL DEFAULT false`);
      await runner.query(`
        CREATE TABLE ${s}.job_dependencies (
          job_id        bigint NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
          depends_on_id bigint NOT NULL,
          state         text   NOT NULL CHECK (state IN ('pending', 'succeeded', 'discarded')),
          PRIMARY KEY (job_id, depends_on_id)
        )`);
      await runner.query(`CREATE INDEX job_dependencies_depends_on ON ${s}.job_dependencies (depends_on_id)`);
      await this.concurrencyKeysIndex(runner, `('blocked', 'pending', 'processing', 'failed', 'waiting')`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await this.concurrencyKeysIndex(runner, `('pending', 'processing', 'failed', 'waiting')`);
      await runner.query(`DROP TABLE ${s}.job_dependencies`);
      await runner.query(`ALTER TABLE ${s}.jobs DROP CONSTRAINT jobs_status_check`);
      await runner.query(`
        ALTER TABLE ${s}.jobs
          DROP COLUMN dependencies_left, DROP COLUMN on_dependency_failure, DROP COLUMN has_dependents,
          ADD CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting'))`);
    }

    private async concurrencyKeysIndex(runner: QueryRunner, statuses: string): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_concurrency_keys`);
      await runner.query(`
        CREATE INDEX jobs_concurrency_keys ON ${s}.jobs USING gin (concurrency_keys)
        WHERE status IN ${statuses} AND concurrency_keys <> '{}'`);
    }
  };
}
