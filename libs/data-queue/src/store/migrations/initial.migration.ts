import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Creates the jobs and workers tables in `schema`. */
export function initialMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueInitial1764057600000 implements MigrationInterface {
    name = 'DataQueueInitial1764057600000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await runner.query(`
        CREATE TABLE ${s}.jobs (
          id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          job_type             text        NOT NULL,
          queue                text        NOT NULL,
          payload              jsonb       NOT NULL,
          status               text        NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'waiting')),
          priority             integer     NOT NULL DEFAULT 0,
          run_at               timestamptz NOT NULL DEFAULT now(),
          -- When the job may next be claimed: run_at, then each retry's time; NULL once it is
          -- not runnable. Only this column and status drive the claim.
          available_at         timestamptz DEFAULT now(),
          next_attempt_at      timestamptz,
          attempts             integer     NOT NULL DEFAULT 0,
          max_attempts         integer     NOT NULL,
          timeout_ms           integer,
          tags                 text[]      NOT NULL DEFAULT '{}',
          idempotency_key      text,
          locked_at            timestamptz,
          locked_by            text,
          pending_reason       text,
          error_history        jsonb       NOT NULL DEFAULT '[]',
          failure_reason       text,
          progress             smallint,
          output               jsonb,
          dead_letter_job_type text,
          dead_lettered_at     timestamptz,
          dead_letter_job_id   bigint,
          batch_id             uuid,
          batch_callback_id    uuid,
          created_at           timestamptz NOT NULL DEFAULT now(),
          updated_at           timestamptz NOT NULL DEFAULT now(),
          started_at           timestamptz,
          completed_at         timestamptz,
          last_retried_at      timestamptz,
          last_failed_at       timestamptz,
          last_cancelled_at    timestamptz
        ) WITH (fillfactor = 80)`);
      // The claim rides these indexes: runnable rows only, in claim order, so finding the next
      // jobs costs O(jobs claimed) however many finished or future jobs the table holds. A pool
      // of one queue reads jobs_runnable_by_queue; '*' and multi-queue pools read jobs_runnable
      // in global order and skip the few rows of other pools' queues.
      await runner.query(`
        CREATE INDEX jobs_runnable_by_queue ON ${s}.jobs (queue, priority, available_at, id)
        WHERE status IN ('pending', 'failed') AND available_at IS NOT NULL`);
      await runner.query(`
        CREATE INDEX jobs_runnable ON ${s}.jobs (priority, available_at, id) INCLUDE (queue)
        WHERE status IN ('pending', 'failed') AND available_at IS NOT NULL`);
      await runner.query(`
        CREATE UNIQUE INDEX jobs_idempotency_key ON ${s}.jobs (idempotency_key)
        WHERE idempotency_key IS NOT NULL`);
      // The crash reaper and shutdown find a worker's jobs through this one.
      await runner.query(`CREATE INDEX jobs_processing ON ${s}.jobs (locked_by) WHERE status = 'processing'`);
      await runner.query(`CREATE INDEX jobs_batch ON ${s}.jobs (batch_id, id) WHERE batch_id IS NOT NULL`);
      await runner.query(`CREATE INDEX jobs_listing ON ${s}.jobs (status, id)`);
      await runner.query(`
        CREATE TABLE ${s}.workers (
          id           text        PRIMARY KEY,
          hostname     text        NOT NULL,
          pid          integer     NOT NULL,
          queues       text        NOT NULL,
          started_at   timestamptz NOT NULL DEFAULT now(),
          heartbeat_at timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.workers`);
      await runner.query(`DROP TABLE ${s}.jobs`);
    }
  };
}
