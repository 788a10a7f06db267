import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * The OpenTelemetry context a job was enqueued in (W3C `traceparent` / `tracestate`), so that the
 * span of each attempt, in whichever process, continues the producer's trace. NULL when the
 * producer traced nothing; no default, so adding it rewrites no row.
 */
export function traceContextMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueTraceContext1764950000000 implements MigrationInterface {
    name = 'DataQueueTraceContext1764950000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs ADD COLUMN trace_context jsonb`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN trace_context`);
    }
  };
}
