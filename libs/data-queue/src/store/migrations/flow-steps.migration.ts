import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../sql/identifiers.js';

/** Flows (`createFlow`): a job's step name. Nullable without a default, so no table rewrite. */
export function flowStepsMigration(schema: string): new () => MigrationInterface {
  const s = quoteIdent(schema);
  return class DataQueueFlowSteps1765200000000 implements MigrationInterface {
    name = 'DataQueueFlowSteps1765200000000';

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs ADD COLUMN step_name text`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`ALTER TABLE ${s}.jobs DROP COLUMN step_name`);
    }
  };
}
