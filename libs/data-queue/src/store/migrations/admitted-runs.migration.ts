import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * `perform_keys`: the keys under which a running attempt passed its perform-side concurrency
 * check. A perform limit counts these runs only, not every `processing` row: a job that is
 * claimed but still waiting for its own check (in a pool's buffer, or queued for the key's lock)
 * has not started, and counting it held every contender back (see concurrency.sql.ts).
 * The claim clears it; the admission sets it in the transaction that decides.
 */
export function admittedRunsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueAdmittedRuns1764700000000 implements MigrationInterface {
    name = 'DataQueueAdmittedRuns1764700000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs ADD COLUMN perform_keys text[]`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN perform_keys`);
    }
  };
}
