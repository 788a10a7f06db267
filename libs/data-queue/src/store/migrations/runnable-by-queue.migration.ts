import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Installs of the first release ran DataQueueInitial before it was edited in place to create
 * `jobs_runnable_by_queue` too, so they lack that index and DataQueueDurableWaits, which drops
 * it, failed on them. This creates it where it is missing (DataQueueDurableWaits then rebuilds
 * both runnable indexes); everywhere else it does nothing. TypeORM runs pending migrations in
 * timestamp order, and this one's comes right after DataQueueInitial's.
 */
export function runnableByQueueMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueRunnableByQueue1764057700000 implements MigrationInterface {
    name = 'DataQueueRunnableByQueue1764057700000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE INDEX IF NOT EXISTS jobs_runnable_by_queue ON ${s}.jobs (queue, priority, available_at, id)
        WHERE status IN ('pending', 'failed') AND available_at IS NOT NULL`);
    }

    // DataQueueInitial's index, whichever version of it ran: reverting this one keeps it.
    async down(): Promise<void> {}
  };
}
