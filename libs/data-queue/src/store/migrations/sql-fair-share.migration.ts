import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';
import { enqueueFunctionSql } from './enqueue-function.js';

// The placeholders of a template key, as PLACEHOLDER in core/concurrency-key.ts.
const PLACEHOLDER = String.raw`\{(jobType|payload\.[^{}]+)\}`;

/**
 * Fair keys from the SQL function (docs/fair-share.md): `<schema>.enqueue` takes `fairKey` and
 * `fairWeight`, and derives the key of a declarative `fairShare` as Node does, so a job's share
 * does not depend on which client enqueued it.
 * - `<schema>.payload_text` and `<schema>.derive_key` are `deriveKey` (core/concurrency-key.ts)
 *   for the declarative forms, written out in PL/pgSQL. Numbers make the text JavaScript writes
 *   for integers up to 2^53 and for plain decimals (`1.50` is `1.5`).
 */
export function sqlFairShareMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueSqlFairShare1765600000000 implements MigrationInterface {
    name = 'DataQueueSqlFairShare1765600000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
CREATE FUNCTION ${s}.payload_text(_payload jsonb, _path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
-- The value at a dotted path (own fields of objects, array elements by index), as text when it is
-- a string, a number or a boolean; NULL otherwise.
DECLARE
  v jsonb := _payload;
  part text;
BEGIN
  FOREACH part IN ARRAY string_to_array(_path, '.') LOOP
    v := CASE jsonb_typeof(v)
           WHEN 'object' THEN v -> part
           WHEN 'array' THEN CASE WHEN part ~ '^(0|[1-9][0-9]{0,8})$' THEN v -> part::int END
         END;
    IF v IS NULL THEN
      RETURN NULL;
    END IF;
  END LOOP;
  RETURN CASE jsonb_typeof(v)
           WHEN 'string' THEN v #>> '{}'
           WHEN 'number' THEN trim_scale(v::numeric)::text
           WHEN 'boolean' THEN v::text
         END;
END
$fn$`);
      await runner.query(`
CREATE FUNCTION ${s}.derive_key(_spec jsonb, _job_type text, _payload jsonb, _tags text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
-- The key of { payload }, { tagPrefix } or { template }; NULL when the job has none.
DECLARE
  names text[];
  literals text[];
  key text;
  value text;
BEGIN
  IF _spec ? 'payload' THEN
    RETURN ${s}.payload_text(_payload, _spec->>'payload');
  ELSIF _spec ? 'tagPrefix' THEN
    RETURN (SELECT t.tag FROM unnest(_tags) WITH ORDINALITY AS t(tag, n) WHERE starts_with(t.tag, _spec->>'tagPrefix') ORDER BY t.n LIMIT 1);
  END IF;
  -- A template is its literal pieces with each placeholder's value between them, substituted once
  -- (a value that looks like a placeholder stays as it is).
  names := ARRAY(SELECT r.m[1] FROM regexp_matches(_spec->>'template', '${PLACEHOLDER}', 'g') WITH ORDINALITY AS r(m, n) ORDER BY r.n);
  literals := regexp_split_to_array(_spec->>'template', '${PLACEHOLDER}');
  key := literals[1];
  FOR i IN 1..coalesce(array_length(names, 1), 0) LOOP
    value := CASE WHEN names[i] = 'jobType' THEN _job_type ELSE ${s}.payload_text(_payload, substr(names[i], length('payload.') + 1)) END;
    IF value IS NULL THEN
      RETURN NULL;
    END IF;
    key := key || value || literals[i + 1];
  END LOOP;
  RETURN key;
END
$fn$`);
      await runner.query(enqueueFunctionSql(schema, 'fair-share'));
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(enqueueFunctionSql(schema, 'idempotency-windows'));
      await runner.query(`DROP FUNCTION ${s}.derive_key(jsonb, text, jsonb, text[])`);
      await runner.query(`DROP FUNCTION ${s}.payload_text(jsonb, text)`);
    }
  };
}
