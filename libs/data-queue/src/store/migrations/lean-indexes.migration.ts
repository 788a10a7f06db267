import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Fewer index entries per job. A claim and a completion each rewrite the job row, so every full
 * index on the jobs table gets three entries per job (enqueue, claim, completion).
 * - `jobs_by_queue (queue, id)` and `jobs_by_type (job_type, id)` become one `jobs_by_kind
 *   (queue, job_type)`. It still finds a rare queue or job type for the dashboard's filters and
 *   walks the distinct values for its dropdowns; a common one is read newest first through the
 *   primary key, which the planner prefers anyway. Few distinct keys also let B-tree
 *   deduplication keep it small.
 * - `jobs_listing (status, id)` leaves out completed jobs, usually most of the table: the
 *   dashboard's other states and the metrics stay index reads, and a completion adds no entry.
 * - History rows are only ever read per job, so their primary key becomes (job_id, id) and the
 *   separate (job_id, id) index goes: one index entry per attempt recorded instead of two.
 */
export function leanIndexesMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueLeanIndexes1764240000000 implements MigrationInterface {
    name = 'DataQueueLeanIndexes1764240000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_by_queue`);
      await runner.query(`DROP INDEX ${s}.jobs_by_type`);
      await runner.query(`CREATE INDEX jobs_by_kind ON ${s}.jobs (queue, job_type)`);
      await runner.query(`DROP INDEX ${s}.jobs_listing`);
      await runner.query(`CREATE INDEX jobs_listing ON ${s}.jobs (status, id) WHERE status <> 'completed'`);
      await runner.query(`ALTER TABLE ${s}.job_executions DROP CONSTRAINT job_executions_pkey, ADD PRIMARY KEY (job_id, id)`);
      await runner.query(`DROP INDEX ${s}.job_executions_by_job`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE INDEX job_executions_by_job ON ${s}.job_executions (job_id, id)`);
      await runner.query(`ALTER TABLE ${s}.job_executions DROP CONSTRAINT job_executions_pkey, ADD PRIMARY KEY (id)`);
      await runner.query(`DROP INDEX ${s}.jobs_listing`);
      await runner.query(`CREATE INDEX jobs_listing ON ${s}.jobs (status, id)`);
      await runner.query(`DROP INDEX ${s}.jobs_by_kind`);
      await runner.query(`CREATE INDEX jobs_by_type ON ${s}.jobs (job_type, id)`);
      await runner.query(`CREATE INDEX jobs_by_queue ON ${s}.jobs (queue, id)`);
    }
  };
}
