import { MAX_FAIR_KEY_LENGTH, MAX_FAIR_WEIGHT, MIN_FAIR_WEIGHT } from '../../core/fair-share.js';
import { quoteIdent } from '../sql/identifiers.js';

/** The versions of `<schema>.enqueue`, oldest first, each named after the migration that installs it. */
const VERSIONS = ['sql-enqueue', 'idempotency-windows', 'fair-share'] as const;
export type EnqueueFunctionVersion = (typeof VERSIONS)[number];

/**
 * The SQL function `<schema>.enqueue(job_type, payload, options)` (docs/jobs.md, "The SQL
 * function"): `QueueService.enqueue`'s option rules written out in PL/pgSQL, for clients that do
 * not run DataQueue. Each migration that changes it installs the whole function at its version,
 * and its `down` installs the version before.
 * - `sql-enqueue`: the job type's settings, the base options and idempotency keys;
 * - `idempotency-windows`: `idempotencyWindow`, `onDuplicate` and `debounceMs`;
 * - `fair-share`: `fairKey`, `fairWeight` and the key of a declarative `fairShare`.
 *
 * The error messages and the fields they name (`COLUMN`) match JobOptionsInvalidError's, which
 * test/sql-enqueue.e2e-spec.ts checks route against route.
 */
export function enqueueFunctionSql(schema: string, version: EnqueueFunctionVersion): string {
  const s = quoteIdent(schema);
  const wakeChannel = `${schema}_wake`;
  const since = (first: EnqueueFunctionVersion): boolean => VERSIONS.indexOf(version) >= VERSIONS.indexOf(first);
  const windows = since('idempotency-windows');
  const fair = since('fair-share');
  const knownOptions = [
    ...['queue', 'priority', 'runAt', 'delayMs', 'maxAttempts', 'timeoutMs', 'tags', 'idempotencyKey', 'deadLetterJobType'],
    ...(windows ? ['idempotencyWindow', 'onDuplicate', 'debounceMs'] : []),
    ...(fair ? ['fairKey', 'fairWeight'] : []),
  ];
  return `
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
  v_id bigint;${windows ? WINDOW_DECLARATIONS : '\n  v_existing_type text;'}${fair ? FAIR_DECLARATIONS : ''}
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
    IF field NOT IN (${knownOptions.map((option) => `'${option}'`).join(', ')}) THEN
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
${windows ? windowOptionsBlock(s) : ''}  v_dead_letter := coalesce(opts->>'deadLetterJobType', settings->>'deadLetterJobType');
  IF opts ? 'deadLetterJobType' AND (jsonb_typeof(opts->'deadLetterJobType') <> 'string' OR v_dead_letter !~ '^[A-Za-z0-9_.:/-]{1,255}$') THEN
    RAISE EXCEPTION 'dataqueue: job type "%": deadLetterJobType must be a job type (got %)', _job_type, opts->'deadLetterJobType'
      USING ERRCODE = '22023', COLUMN = 'deadLetterJobType';
  END IF;${fair ? fairShareBlock(s) : ''}

  v_due := coalesce(v_run_at, now() + v_delay_ms * interval '1 millisecond');
${windows ? insertOrSettleKey(s, wakeChannel, fair) : insertOnce(s, wakeChannel)}END
$fn$`;
}

const WINDOW_DECLARATIONS = `
  v_window_ms bigint;
  v_until_finished boolean;
  v_replace boolean := false;
  v_holder record;
  v_round int;`;

function windowOptionsBlock(s: string): string {
  return `  IF opts ? 'idempotencyWindow' THEN
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
`;
}

/** The insert before idempotency windows: a key held by a job of the type answers with its id. */
function insertOnce(s: string, wakeChannel: string): string {
  return `  INSERT INTO ${s}.jobs (job_type, queue, payload, priority, run_at, available_at, max_attempts, timeout_ms,
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
`;
}

/**
 * The insert with idempotency windows. The rule "the window has passed" is written out here as it
 * is in idempotencyWindowPassed (insert-jobs.sql.ts): a change there needs a new version.
 */
function insertOrSettleKey(s: string, wakeChannel: string, fair: boolean): string {
  // The holder is finished: completed, cancelled or failed for good (core/job-states.ts).
  const WINDOW_PASSED = `coalesce(j.idempotency_expires_at <= now() OR (j.idempotency_until_finished
    AND (j.status IN ('completed', 'cancelled') OR (j.status = 'failed' AND j.next_attempt_at IS NULL))), false)`;
  return `  -- The key is free (insert), or held by a job whose window has passed (free it, insert again), by
  -- a pending job this enqueue replaces, or by a job that answers it. A holder that changed since
  -- it was read (freed or claimed by another transaction) sends the loop round again.
  FOR v_round IN 1..10 LOOP
    INSERT INTO ${s}.jobs (job_type, queue, payload, priority, run_at, available_at, max_attempts, timeout_ms,
                           tags, idempotency_key, dead_letter_job_type, idempotency_expires_at, idempotency_until_finished${fair ? ', fair_key, fair_weight' : ''})
    VALUES (_job_type, v_queue, coalesce(_payload, 'null'::jsonb), v_priority, v_due, v_due, v_max_attempts,
            v_timeout_ms, v_tags, v_key, v_dead_letter, now() + v_window_ms * interval '1 millisecond', v_until_finished${fair ? ', v_fair_key, v_fair_weight' : ''})
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
`;
}

const FAIR_DECLARATIONS = `
  v_fair_key text := '';
  v_fair_weight real := 1;`;

/**
 * The job's fair share, as NewJobFactory.fairShare decides it: \`fairKey\` (and \`fairWeight\`) given,
 * else the key a declarative \`fairShare\` derives (\`<schema>.derive_key\`) with its weight, else the
 * default key ''. A \`fairShare\` function runs only beside the handler: without \`fairKey\` the
 * enqueue is refused (FairKeyUnavailableError in Node), never sent to the default key.
 */
function fairShareBlock(s: string): string {
  return `
  IF opts ? 'fairKey' THEN
    v_fair_key := opts->>'fairKey';
    IF jsonb_typeof(opts->'fairKey') <> 'string' OR length(v_fair_key) NOT BETWEEN 1 AND ${MAX_FAIR_KEY_LENGTH} THEN
      RAISE EXCEPTION 'dataqueue: job type "%": fairKey must be a non-empty string of at most ${MAX_FAIR_KEY_LENGTH} characters (got %)', _job_type, opts->'fairKey'
        USING ERRCODE = '22023', COLUMN = 'fairKey';
    END IF;
  END IF;
  IF opts ? 'fairWeight' AND (jsonb_typeof(opts->'fairWeight') <> 'number'
                              OR (opts->>'fairWeight')::numeric NOT BETWEEN ${MIN_FAIR_WEIGHT} AND ${MAX_FAIR_WEIGHT}) THEN
    RAISE EXCEPTION 'dataqueue: job type "%": fairWeight must be a number from ${MIN_FAIR_WEIGHT} to ${MAX_FAIR_WEIGHT} (got %)', _job_type, opts->'fairWeight'
      USING ERRCODE = '22023', COLUMN = 'fairWeight';
  END IF;
  IF NOT opts ? 'fairKey' AND settings->'fairShare' = '"function"'::jsonb THEN
    RAISE EXCEPTION 'dataqueue: job type "%": its fairShare derives the key with a function, which only an app with the handler can run; pass the fairKey option', _job_type
      USING ERRCODE = '0A000', COLUMN = 'fairShare';
  ELSIF NOT opts ? 'fairKey' AND jsonb_typeof(settings->'fairShare') = 'object' THEN
    v_fair_key := coalesce(${s}.derive_key(settings->'fairShare', _job_type, _payload, v_tags), '');
    IF length(v_fair_key) > ${MAX_FAIR_KEY_LENGTH} THEN
      RAISE EXCEPTION 'dataqueue: job type "%": fairShare derived a key of % characters, over ${MAX_FAIR_KEY_LENGTH}', _job_type, length(v_fair_key)
        USING ERRCODE = '22023', COLUMN = 'fairShare';
    END IF;
    v_fair_weight := coalesce((settings->'fairShare'->>'weight')::real, 1);
  END IF;
  IF v_fair_key = '' THEN
    IF opts ? 'fairWeight' THEN
      RAISE EXCEPTION 'dataqueue: job type "%": fairWeight weighs a fair key, and this job has none (give fairKey)', _job_type
        USING ERRCODE = '22023', COLUMN = 'fairWeight';
    END IF;
    v_fair_weight := 1;
  ELSIF opts ? 'fairWeight' THEN
    v_fair_weight := (opts->>'fairWeight')::real;
  END IF;`;
}
