import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/**
 * Who listens to job events across processes (`@OnQueueEvent`): a row per subscribing process,
 * refreshed while it lives. Processes publish an event only while some live row asks for it, so
 * a schema nobody subscribes to pays nothing per job.
 */
export function eventSubscriptionsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueEventSubscriptions1765000000000 implements MigrationInterface {
    name = 'DataQueueEventSubscriptions1765000000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`
        CREATE TABLE ${s}.event_subscriptions (
          subscriber text        PRIMARY KEY,
          events     text[]      NOT NULL,
          job_types  text[],
          seen_at    timestamptz NOT NULL DEFAULT now()
        )`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE ${s}.event_subscriptions`);
    }
  };
}
