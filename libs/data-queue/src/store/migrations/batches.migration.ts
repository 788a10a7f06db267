import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Creates the batches table: GoodJob's batch attributes plus counters kept in step with its jobs. */
export function batchesMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueBatches1764058000000 implements MigrationInterface {
    name = 'DataQueueBatches1764058000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.batches (
          id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
          description       text,
          properties        jsonb       NOT NULL DEFAULT '{}',
          on_finish         text,
          on_success        text,
          on_discard        text,
          callback_queue    text,
          callback_priority integer,
          -- Counters, changed in the same transaction as the job state they count, so the
          -- "last job finished" decision is one row update: O(1) however large the batch.
          total_jobs        integer     NOT NULL DEFAULT 0,
          pending_jobs      integer     NOT NULL DEFAULT 0,
          succeeded_jobs    integer     NOT NULL DEFAULT 0,
          discarded_jobs    integer     NOT NULL DEFAULT 0,
          pending_callbacks integer     NOT NULL DEFAULT 0,
          enqueued_at       timestamptz,
          discarded_at      timestamptz,
          jobs_finished_at  timestamptz,
          finished_at       timestamptz,
          created_at        timestamptz NOT NULL DEFAULT now(),
          updated_at        timestamptz NOT NULL DEFAULT now()
        ) WITH (fillfactor = 50)`);
      // Every job of a batch updates its row, so those updates must stay HOT (no index entry per
      // update): room on the page (fillfactor), and no index on a column they change. The
      // reconciler's index therefore keys on id, filtered by the rarely changing finished_at.
      await runner.query(`CREATE INDEX batches_unfinished ON ${s}.batches (id) WHERE finished_at IS NULL`);
      await runner.query(`
        CREATE INDEX jobs_batch_callback ON ${s}.jobs (batch_callback_id, id) WHERE batch_callback_id IS NOT NULL`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP INDEX ${s}.jobs_batch_callback`);
      await runner.query(`DROP TABLE ${s}.batches`);
    }
  };
}
