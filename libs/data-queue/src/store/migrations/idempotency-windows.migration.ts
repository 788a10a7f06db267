import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';
import { sqlEnqueueMigration } from './sql-enqueue.migration.js';

/**
 * Idempotency windows, replace and debounce (see `EnqueueOptions.idempotencyWindow`).
 * - Two nullable columns say how long a job holds its idempotency key: until
 *   `idempotency_expires_at`, or (`idempotency_until_finished`) while it is unfinished. NULL in
 *   both: for as long as the row exists, as before. No default, so adding them rewrites no row.
 * - `<schema>.enqueue` is replaced to take `idempotencyWindow`, `onDuplicate` and `debounceMs`
 *   the way `QueueService.enqueue` does (core/job-settings.validation.ts, store/insert-store.ts).
 *   The rule "the window has passed" is written out here as it is in idempotencyWindowPassed
 *   (insert-jobs.sql.ts): a change there needs a migration that replaces this function.
 */
export function idempotencyWindowsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  const wakeChannel = `${schema}_wake`;
  // The holder is finished: completed, cancelled or failed for good (core/job-states.ts).
  const WINDOW_PASSED = `coalesce(j.idempotency_expires_at <= now() OR (j.idempotency_until_finished
    AND (j.status IN ('completed', 'cancelled') OR (j.status = 'failed' AND j.next_attempt_at IS NULL))), false)`;
  return class DataQueueIdempotencyWindows1764970000000 implements MigrationInterface {
    name = 'DataQueueIdempotencyWindows1764970000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(
        `ALTER TABLE ${s}.jobs ADD COLUMN idempotency_expires_at timestamptz, ADD COLUMN idempotency_until_finished boolean`,
      );
      await runner.query(`
CREATE OR REPLACE FUNCTION ${s}.enqueue(_job_type text, _payload jsonb, _options jsonb DEFAULT '{}'::jsonb) RETURNS bigint
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
  v_window_ms bigint;
  v_until_finished boolean;
  v_replace boolean := false;
  v_holder record;
  v_round int;
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
    IF field NOT IN ('queue', 'priority', 'runAt', 'delayMs', 'maxAttempts', 'timeoutMs', 'tags', 'idempotencyKey', 'deadLetterJobType',
                     'idempotencyWindow', 'onDuplicate', 'debounceMs') THEN
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
  IF opts ? 'idempotencyWindow' THEN
    IF opts->'idempotencyWindow' = '"unfinished"'::jsonb THEN
      v_until_finished := true;
    ELSIF jsonb_typeof(opts->'idempotencyWindow') <> 'number' OR (opts->>'idempotencyWindow')::numeric <> trunc((opts->>'idempotencyWindow')::numeric)
          OR (opts->>'idempotencyWindow')::numeric NOT BETWEEN 1 AND 315360000000 THEN
      RAISE EXCEPTION 'dataqueue: job type "%": idempotencyWindow must be ''unfinished'' or an integer from 1 to 315360000000 ms (got %)', _job_type, opts->'idempotencyWindow'
        USING ERRCODE = '22023', COLUMN = 'idempotencyWindow';
    ELSE
      v_window_ms := (opts->>'idempotencyWindow')::bigint;
    END IF;
  END IF;
  IF opts ? 'onDuplicate' THEN
    IF opts->'onDuplicate' NOT IN ('"keep"'::jsonb, '"replace"'::jsonb) THEN
      RAISE EXCEPTION 'dataqueue: job type "%": onDuplicate must be ''keep'' or ''replace'' (got %)', _job_type, opts->'onDuplicate'
        USING ERRCODE = '22023', COLUMN = 'onDuplicate';
    END IF;
    v_replace := opts->>'onDuplicate' = 'replace';
  END IF;
  IF opts ? 'debounceMs' THEN
    v_delay_ms := ${s}.enqueue_integer(_job_type, opts, 'debounceMs', 1, 2147483647, 0);
    IF opts ? 'runAt' OR opts ? 'delayMs' THEN
      RAISE EXCEPTION 'dataqueue: job type "%": debounceMs sets the start itself: give debounceMs or runAt/delayMs, not both', _job_type
        USING ERRCODE = '22023', COLUMN = 'debounceMs';
    END IF;
    IF opts->'onDuplicate' = '"keep"'::jsonb THEN
      RAISE EXCEPTION 'dataqueue: job type "%": debounceMs replaces the pending job, which onDuplicate ''keep'' forbids', _job_type
        USING ERRCODE = '22023', COLUMN = 'debounceMs';
    END IF;
    v_replace := true;
  END IF;
  FOREACH field IN ARRAY ARRAY['idempotencyWindow', 'onDuplicate', 'debounceMs'] LOOP
    IF opts ? field AND v_key IS NULL THEN
      RAISE EXCEPTION 'dataqueue: job type "%": % needs an idempotencyKey', _job_type, field
        USING ERRCODE = '22023', COLUMN = field;
    END IF;
  END LOOP;
  v_dead_letter := coalesce(opts->>'deadLetterJobType', settings->>'deadLetterJobType');
  IF opts ? 'deadLetterJobType' AND (jsonb_typeof(opts->'deadLetterJobType') <> 'string' OR v_dead_letter !~ '^[A-Za-z0-9_.:/-]{1,255}$') THEN
    RAISE EXCEPTION 'dataqueue: job type "%": deadLetterJobType must be a job type (got %)', _job_type, opts->'deadLetterJobType'
      USING ERRCODE = '22023', COLUMN = 'deadLetterJobType';
  END IF;

  v_due := coalesce(v_run_at, now() + v_delay_ms * interval '1 millisecond');
  -- The key is free (insert), or held by a job whose window has passed (free it, insert again), by
  -- a pending job this enqueue replaces, or by a job that answers it. A holder that changed since
  -- it was read (freed or claimed by another transaction) sends the loop round again.
  FOR v_round IN 1..10 LOOP
    INSERT INTO ${s}.jobs (job_type, queue, payload, priority, run_at, available_at, max_attempts, timeout_ms,
                           tags, idempotency_key, dead_letter_job_type, idempotency_expires_at, idempotency_until_finished)
    VALUES (_job_type, v_queue, coalesce(_payload, 'null'::jsonb), v_priority, v_due, v_due, v_max_attempts,
            v_timeout_ms, v_tags, v_key, v_dead_letter, now() + v_window_ms * interval '1 millisecond', v_until_finished)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NOT NULL THEN
      IF v_due <= now() THEN
        PERFORM pg_notify('${wakeChannel}', v_queue);
      END IF;
      RETURN v_id;
    END IF;
    SELECT j.id, j.job_type, j.status, j.queue, ${WINDOW_PASSED} AS window_passed INTO v_holder
    FROM ${s}.jobs AS j WHERE j.idempotency_key = v_key;
    CONTINUE WHEN NOT FOUND;
    IF v_holder.window_passed THEN
      UPDATE ${s}.jobs AS j SET idempotency_key = NULL, updated_at = now()
      WHERE j.id = v_holder.id AND j.idempotency_key = v_key AND ${WINDOW_PASSED};
      CONTINUE;
    END IF;
    IF v_holder.job_type <> _job_type THEN
      RAISE EXCEPTION 'dataqueue: idempotency key "%" belongs to job % of type "%", not "%"', v_key, v_holder.id, v_holder.job_type, _job_type
        USING ERRCODE = '23505', COLUMN = 'idempotencyKey';
    END IF;
    IF NOT v_replace OR v_holder.status <> 'pending' THEN
      RETURN v_holder.id;
    END IF;
    UPDATE ${s}.jobs AS j
    SET payload = coalesce(_payload, 'null'::jsonb), priority = v_priority, run_at = v_due, available_at = v_due, updated_at = now()
    WHERE j.id = v_holder.id AND j.idempotency_key = v_key AND j.status = 'pending';
    IF FOUND THEN
      IF v_due <= now() THEN
        PERFORM pg_notify('${wakeChannel}', v_holder.queue);
      END IF;
      RETURN v_holder.id;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'dataqueue: idempotency key "%" changed hands 10 times during one enqueue; try again', v_key
    USING ERRCODE = '40001', COLUMN = 'idempotencyKey';
END
$fn$`);
    }

    /** Back to the columns and the function of DataQueueSqlEnqueue1764900000000. */
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP FUNCTION ${s}.enqueue(text, jsonb, jsonb)`);
      await runner.query(`DROP FUNCTION ${s}.enqueue_integer(text, jsonb, text, bigint, bigint, int)`);
      await new (sqlEnqueueMigration(schema))().up(runner);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN idempotency_expires_at, DROP COLUMN idempotency_until_finished`);
    }
  };
}
