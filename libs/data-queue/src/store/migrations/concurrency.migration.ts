import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Concurrency keys on jobs, and the event log throttles count. */
export function concurrencyMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueConcurrency1764059600000 implements MigrationInterface {
    name = 'DataQueueConcurrency1764059600000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs ADD COLUMN concurrency_keys text[] NOT NULL DEFAULT '{}'`);
      // Limits count unfinished jobs per key: finished jobs leave this index, so a count costs
      // O(unfinished jobs of the key), however much history the key has.
      await runner.query(`
        CREATE INDEX jobs_concurrency_keys ON ${s}.jobs USING gin (concurrency_keys)
        WHERE status IN ('pending', 'processing', 'failed', 'waiting') AND concurrency_keys <> '{}'`);
      await runner.query(`
        CREATE TABLE ${s}.concurrency_events (
          key  text        NOT NULL,
          kind text        NOT NULL CHECK (kind IN ('enqueue', 'perform')),
          at   timestamptz NOT NULL DEFAULT now()
        )`);
      await runner.query(`CREATE INDEX concurrency_events_window ON ${s}.concurrency_events (key, kind, at)`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.concurrency_events`);
      await runner.query(`DROP INDEX ${s}.jobs_concurrency_keys`);
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN concurrency_keys`);
    }
  };
}
