import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * The (queue, job type) pairs leave the hot path. `jobs_by_kind (queue, job_type)` covered every
 * row, so each claim and each completion, which rewrite the row, added an entry, and with few
 * distinct keys all ten claimants wrote to the same leaf page. In bench W1 at production
 * durability that index cost about a quarter of Postgres's CPU per drained job.
 * - The dashboard's dropdowns read `job_kinds`, one row per pair ever enqueued, noted by a
 *   statement trigger on every insert (the library's statements, the SQL function, an ORM's own
 *   INSERT). It has no unique key, so two transactions that enqueue a new pair at once never wait
 *   for each other; readers take DISTINCT.
 * - Filters by queue or job type use a BRIN bloom index instead: a few bytes per range of pages,
 *   no entry per row version, and it lets a rare queue skip the ranges that do not hold it (a
 *   common one is read newest first through the primary key, as before).
 */
export function jobKindsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueJobKinds1765400000000 implements MigrationInterface {
    name = 'DataQueueJobKinds1765400000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE TABLE ${s}.job_kinds (queue text NOT NULL, job_type text NOT NULL)`);
      await runner.query(`CREATE INDEX job_kinds_pair ON ${s}.job_kinds (queue, job_type)`);
      await runner.query(`
        CREATE FUNCTION ${s}.note_job_kinds() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO ${s}.job_kinds (queue, job_type)
          SELECT DISTINCT queue, job_type FROM inserted AS job
          WHERE NOT EXISTS (SELECT 1 FROM ${s}.job_kinds AS kind WHERE kind.queue = job.queue AND kind.job_type = job.job_type);
          RETURN NULL;
        END $$`);
      await runner.query(`
        CREATE TRIGGER jobs_note_kinds AFTER INSERT ON ${s}.jobs
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ${s}.note_job_kinds()`);
      // The pairs present, walked through the old index one pair at a time before it goes.
      await runner.query(`
        WITH RECURSIVE kind AS (
          (SELECT queue, job_type FROM ${s}.jobs ORDER BY queue, job_type LIMIT 1)
          UNION ALL
          SELECT next.queue, next.job_type FROM kind CROSS JOIN LATERAL (
            SELECT queue, job_type FROM ${s}.jobs
            WHERE (queue, job_type) > (kind.queue, kind.job_type) ORDER BY queue, job_type LIMIT 1
          ) AS next
        )
        INSERT INTO ${s}.job_kinds (queue, job_type) SELECT queue, job_type FROM kind`);
      await runner.query(`DROP INDEX ${s}.jobs_by_kind`);
      await runner.query(`CREATE INDEX jobs_kind_summary ON ${s}.jobs USING brin (queue text_bloom_ops, job_type text_bloom_ops)`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_kind_summary`);
      await runner.query(`CREATE INDEX jobs_by_kind ON ${s}.jobs (queue, job_type)`);
      await runner.query(`DROP TRIGGER jobs_note_kinds ON ${s}.jobs`);
      await runner.query(`DROP FUNCTION ${s}.note_job_kinds()`);
      await runner.query(`DROP TABLE ${s}.job_kinds`);
    }
  };
}
