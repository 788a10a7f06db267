import { MAX_DEPENDENCIES_PER_JOB } from '../core/enqueue-options.js';
import { MAX_FLOW_STEPS } from '../core/flow.js';
import type { JobRecord } from '../core/job-record.js';
import { toJobRecord, type JobRow } from './job-row.js';
import type { SqlExecutor } from './sql/executor.js';
import { dependenciesOfSql, flowStepsSql, nameStepsSql } from './sql/flows.sql.js';

export function flowStatements(s: string) {
  return { nameSteps: nameStepsSql(s), steps: flowStepsSql(s), dependenciesOf: dependenciesOfSql(s) };
}

/** The reads and writes of flows (see flows.sql.ts): step names, a flow's steps, a job's dependencies. */
export class FlowStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly sql: ReturnType<typeof flowStatements>,
  ) {}

  async nameSteps(steps: { id: string; name: string }[]): Promise<void> {
    await this.db.rows(this.sql.nameSteps, [steps.map((step) => step.id), steps.map((step) => step.name)]);
  }

  async steps(batchId: string): Promise<{ job: JobRecord; after: string[] }[]> {
    const rows = await this.db.rows<JobRow & { after: string[] }>(this.sql.steps, [batchId, MAX_FLOW_STEPS]);
    return rows.map((row) => ({ job: toJobRecord(row), after: row.after }));
  }

  async dependenciesOf(jobId: string): Promise<JobRecord[]> {
    const rows = await this.db.rows<JobRow>(this.sql.dependenciesOf, [jobId, MAX_DEPENDENCIES_PER_JOB]);
    return rows.map((row) => toJobRecord(row));
  }
}
