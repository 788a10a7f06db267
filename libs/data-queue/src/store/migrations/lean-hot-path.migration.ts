import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Less work per job on the hot path. A claim and a completion each change the job's status, so
 * neither can be a HOT update: every index of the jobs table gets a new entry twice per attempt.
 * - The tag index covers tagged jobs only (tag filters say `tags <> '{}'` to use it), so an
 *   untagged job no longer pays for a GIN entry on each write.
 * - The index of running jobs by worker goes: the reaper finds them through (status, id).
 * - History rows no longer carry a foreign key, whose check ran a trigger and locked the job row
 *   once per attempt recorded. A statement-level trigger deletes the history of deleted jobs
 *   instead: once per DELETE statement, however many jobs it removes.
 */
export function leanHotPathMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueLeanHotPath1764150000000 implements MigrationInterface {
    name = 'DataQueueLeanHotPath1764150000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_by_tag`);
      await runner.query(`CREATE INDEX jobs_by_tag ON ${s}.jobs USING gin (tags) WHERE tags <> '{}'`);
      await runner.query(`DROP INDEX ${s}.jobs_processing`);
      await runner.query(`ALTER TABLE ${s}.job_executions DROP CONSTRAINT job_executions_job_id_fkey`);
      await runner.query(`
        CREATE FUNCTION ${s}.forget_job_history() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM ${s}.job_executions WHERE job_id IN (SELECT id FROM deleted_jobs);
          RETURN NULL;
        END $$`);
      await runner.query(`
        CREATE TRIGGER jobs_forget_history AFTER DELETE ON ${s}.jobs
        REFERENCING OLD TABLE AS deleted_jobs FOR EACH STATEMENT EXECUTE FUNCTION ${s}.forget_job_history()`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TRIGGER jobs_forget_history ON ${s}.jobs`);
      await runner.query(`DROP FUNCTION ${s}.forget_job_history()`);
      await runner.query(`
        ALTER TABLE ${s}.job_executions ADD CONSTRAINT job_executions_job_id_fkey
        FOREIGN KEY (job_id) REFERENCES ${s}.jobs (id) ON DELETE CASCADE`);
      await runner.query(`CREATE INDEX jobs_processing ON ${s}.jobs (locked_by) WHERE status = 'processing'`);
      await runner.query(`DROP INDEX ${s}.jobs_by_tag`);
      await runner.query(`CREATE INDEX jobs_by_tag ON ${s}.jobs USING gin (tags)`);
    }
  };
}
