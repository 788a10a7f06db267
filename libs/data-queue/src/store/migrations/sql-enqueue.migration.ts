import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * `<schema>.enqueue(job_type, payload, options)`: enqueue from SQL, so any client can add a job
 * inside its own transaction (Prisma, MikroORM, Drizzle, Knex, a trigger, another language) and
 * get the job's id back. It applies what `QueueService.enqueue` applies that SQL can know:
 * - the job type's published settings (queue, priority, attempts, timeout, dead letter), which
 *   the handler's app wrote to `job_types`; a job type nobody published is refused;
 * - the enqueue options, by the rules of RULES in core/job-settings.validation.ts (their limits
 *   are written out here: a change there needs a migration that replaces this function);
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
  const wakeChannel = `${schema}_wake`;
  return class DataQueueSqlEnqueue1764900000000 implements MigrationInterface {
    name = 'DataQueueSqlEnqueue1764900000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
CREATE FUNCTION ${s}.enqueue(_job_type text, _payload jsonb, _options jsonb DEFAULT '{}'::jsonb) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  settings jsonb;
  opts jsonb := coalesce(_options, '{}'::jsonb);
  field text;
  v_queue text;
  v_priority int;
  v_max_attempts int;
  v_timeout_ms int;
  v_run_at timestamptz;
  v_delay_ms bigint;
  v_tags text[] := '{}';
  v_key text;
  v_dead_letter text;
  v_due timestamptz;
  v_id bigint;
  v_existing_type text;
BEGIN
  IF _job_type IS NULL OR _job_type !~ '^[A-Za-z0-9_.:/-]{1,255}$' THEN
    RAISE EXCEPTION 'dataqueue: jobType must be 1-255 letters, digits, _ . : / - (got %)', coalesce(quote_literal(_job_type), 'NULL')
      USING ERRCODE = '22023', COLUMN = 'jobType';
  END IF;
  IF jsonb_typeof(opts) <> 'object' THEN
    RAISE EXCEPTION 'dataqueue: job type "%": options must be a JSON object (got %)', _job_type, jsonb_typeof(opts)
      USING ERRCODE = '22023', COLUMN = 'options';
  END IF;
  IF octet_length(coalesce(_payload, 'null'::jsonb)::text) > 1048576 THEN
    RAISE EXCEPTION 'dataqueue: job type "%": payload must be at most 1048576 bytes of JSON', _job_type
      USING ERRCODE = '22023', COLUMN = 'payload';
  END IF;
  FOR field IN SELECT jsonb_object_keys(opts) LOOP
    IF field NOT IN ('queue', 'priority', 'runAt', 'delayMs', 'maxAttempts', 'timeoutMs', 'tags', 'idempotencyKey', 'deadLetterJobType') THEN
      RAISE EXCEPTION 'dataqueue: job type "%": option % is not a known option', _job_type, field
        USING ERRCODE = '22023', COLUMN = field;
    END IF;
  END LOOP;

  SELECT t.settings INTO settings FROM ${s}.job_types AS t WHERE t.job_type = _job_type;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dataqueue: job type "%" has no published settings in schema "${schema}": start an app that has its @JobHandler once', _job_type
      USING ERRCODE = 'P0002', COLUMN = 'jobType';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(settings->'concurrency', '[]'::jsonb)) AS rule
             WHERE rule ?| ARRAY['totalLimit', 'enqueueLimit', 'enqueueThrottle']) THEN
    RAISE EXCEPTION 'dataqueue: job type "%" has enqueue-side concurrency limits, which only QueueService.enqueue can check', _job_type
      USING ERRCODE = '0A000', COLUMN = 'concurrency';
  END IF;

  v_queue := coalesce(opts->>'queue', settings->>'queue', 'default');
  IF opts ? 'queue' AND (jsonb_typeof(opts->'queue') <> 'string' OR v_queue !~ '^[A-Za-z0-9_.-]{1,128}$') THEN
    RAISE EXCEPTION 'dataqueue: job type "%": queue must be 1-128 characters of letters, digits, _ . - (got %)', _job_type, opts->'queue'
      USING ERRCODE = '22023', COLUMN = 'queue';
  END IF;
  v_priority := ${s}.enqueue_integer(_job_type, opts, 'priority', -2147483647, 2147483647, (settings->>'priority')::int);
  v_max_attempts := ${s}.enqueue_integer(_job_type, opts, 'maxAttempts', 1, 1000, (settings->>'maxAttempts')::int);
  v_timeout_ms := ${s}.enqueue_integer(_job_type, opts, 'timeoutMs', 1, 2147483647, (settings->>'timeoutMs')::int);
  v_delay_ms := ${s}.enqueue_integer(_job_type, opts, 'delayMs', 0, 2147483647, 0);
  IF opts ? 'runAt' THEN
    IF opts ? 'delayMs' THEN
      RAISE EXCEPTION 'dataqueue: job type "%": give runAt or delayMs, not both', _job_type USING ERRCODE = '22023', COLUMN = 'runAt';
    END IF;
    BEGIN
      v_run_at := (opts->>'runAt')::timestamptz;
    EXCEPTION WHEN OTHERS THEN
      v_run_at := NULL;
    END;
    IF jsonb_typeof(opts->'runAt') <> 'string' OR v_run_at IS NULL OR NOT isfinite(v_run_at) THEN
      RAISE EXCEPTION 'dataqueue: job type "%": runAt must be a date string, from 4714 BC on (got %)', _job_type, opts->'runAt'
        USING ERRCODE = '22023', COLUMN = 'runAt';
    END IF;
  END IF;
  IF opts ? 'tags' THEN
    IF jsonb_typeof(opts->'tags') <> 'array' OR jsonb_array_length(opts->'tags') > 32
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(opts->'tags') AS tag
                  WHERE jsonb_typeof(tag) <> 'string' OR length(tag #>> '{}') NOT BETWEEN 1 AND 128) THEN
      RAISE EXCEPTION 'dataqueue: job type "%": tags must be an array of at most 32 strings of 1-128 characters (got %)', _job_type, opts->'tags'
        USING ERRCODE = '22023', COLUMN = 'tags';
    END IF;
    v_tags := ARRAY(SELECT jsonb_array_elements_text(opts->'tags'));
  END IF;
  IF opts ? 'idempotencyKey' THEN
    v_key := opts->>'idempotencyKey';
    IF jsonb_typeof(opts->'idempotencyKey') <> 'string' OR length(v_key) NOT BETWEEN 1 AND 512 THEN
      RAISE EXCEPTION 'dataqueue: job type "%": idempotencyKey must be a non-empty string of at most 512 characters (got %)', _job_type, opts->'idempotencyKey'
        USING ERRCODE = '22023', COLUMN = 'idempotencyKey';
    END IF;
  END IF;
  v_dead_letter := coalesce(opts->>'deadLetterJobType', settings->>'deadLetterJobType');
  IF opts ? 'deadLetterJobType' AND (jsonb_typeof(opts->'deadLetterJobType') <> 'string' OR v_dead_letter !~ '^[A-Za-z0-9_.:/-]{1,255}$') THEN
    RAISE EXCEPTION 'dataqueue: job type "%": deadLetterJobType must be a job type (got %)', _job_type, opts->'deadLetterJobType'
      USING ERRCODE = '22023', COLUMN = 'deadLetterJobType';
  END IF;

  v_due := coalesce(v_run_at, now() + v_delay_ms * interval '1 millisecond');
  INSERT INTO ${s}.jobs (job_type, queue, payload, priority, run_at, available_at, max_attempts, timeout_ms,
                         tags, idempotency_key, dead_letter_job_type)
  VALUES (_job_type, v_queue, coalesce(_payload, 'null'::jsonb), v_priority, v_due, v_due, v_max_attempts,
          v_timeout_ms, v_tags, v_key, v_dead_letter)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    SELECT j.id, j.job_type INTO v_id, v_existing_type FROM ${s}.jobs AS j WHERE j.idempotency_key = v_key;
    IF v_existing_type <> _job_type THEN
      RAISE EXCEPTION 'dataqueue: idempotency key "%" belongs to job % of type "%", not "%"', v_key, v_id, v_existing_type, _job_type
        USING ERRCODE = '23505', COLUMN = 'idempotencyKey';
    END IF;
    RETURN v_id;
  END IF;
  IF v_due <= now() THEN
    PERFORM pg_notify('${wakeChannel}', v_queue);
  END IF;
  RETURN v_id;
END
$fn$`);
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
