import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';
import { enqueueFunctionSql } from './enqueue-function.js';

/**
 * `<schema>.enqueue(job_type, payload, options)`: enqueue from SQL, so any client can add a job
 * inside its own transaction (Prisma, MikroORM, Drizzle, Knex, a trigger, another language) and
 * get the job's id back. It applies what `QueueService.enqueue` applies that SQL can know:
 * - the job type's published settings (queue, priority, attempts, timeout, dead letter), which
 *   the handler's app wrote to `job_types`; a job type nobody published is refused;
 * - the enqueue options, by the rules of RULES in core/job-settings.validation.ts (their limits
 *   are written out in enqueue-function.ts: a change there needs a new version of the function);
 * - idempotency keys (the existing job's id; a key held by another job type is refused);
 * - the wake-up NOTIFY, which Postgres delivers on commit.
 * What it cannot run is refused, never skipped: a job type with enqueue-side concurrency limits
 * (they need the handler's key functions and the gate's locks). What it cannot check: the
 * handler's payload DTO (class-validator), and a `maxPayloadBytes` other than the default 1 MiB.
 *
 * A bad argument raises SQLSTATE 22023 (invalid_parameter_value) with COLUMN naming the field;
 * an unknown job type P0002; refused concurrency 0A000; an idempotency key of another type 23505.
 */
export function sqlEnqueueMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueSqlEnqueue1764900000000 implements MigrationInterface {
    name = 'DataQueueSqlEnqueue1764900000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(enqueueFunctionSql(schema, 'sql-enqueue'));
      await runner.query(`
CREATE FUNCTION ${s}.enqueue_integer(_job_type text, opts jsonb, field text, low bigint, high bigint, fallback int) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  value jsonb := opts->field;
BEGIN
  IF value IS NULL THEN
    RETURN fallback;
  END IF;
  IF jsonb_typeof(value) <> 'number' OR value::text::numeric <> trunc(value::text::numeric)
     OR value::text::numeric NOT BETWEEN low AND high THEN
    RAISE EXCEPTION 'dataqueue: job type "%": % must be an integer from % to % (got %)', _job_type, field, low, high, value
      USING ERRCODE = '22023', COLUMN = field;
  END IF;
  RETURN value::text::numeric::int;
END
$fn$`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP FUNCTION ${s}.enqueue(text, jsonb, jsonb)`);
      await runner.query(`DROP FUNCTION ${s}.enqueue_integer(text, jsonb, text, bigint, bigint, int)`);
    }
  };
}
