import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  DISCARDED,
  FAILED_FOR_GOOD,
  JOB_STATE_RULES,
  JOB_STATES,
  JOB_STATUSES,
  jobState,
  jobStateSql,
  RETRYING,
  UNFINISHED,
  type JobStateFields,
  type JobStateRule,
} from './job-states.js';

/** Every status, without and with a next attempt scheduled. */
const JOBS: JobStateFields[] = JOB_STATUSES.flatMap((status) => [
  { status, nextAttemptAt: null },
  { status, nextAttemptAt: new Date('2030-01-01T00:00:00Z') },
]);

const label = (job: JobStateFields) => `${job.status}${job.nextAttemptAt ? ' with a next attempt' : ''}`;

const RULES: [string, JobStateRule][] = [
  ['RETRYING', RETRYING],
  ['FAILED_FOR_GOOD', FAILED_FOR_GOOD],
  ['UNFINISHED', UNFINISHED],
  ['DISCARDED', DISCARDED],
  ...JOB_STATES.map((state): [string, JobStateRule] => [`the state ${state}`, JOB_STATE_RULES[state]]),
];

/** The states of the jobs a rule matches; null when it splits a state (matches some of its jobs only). */
function statesMatching(rule: JobStateRule): string[] | null {
  const states = JOB_STATES.filter((state) => JOBS.some((job) => jobState(job) === state && rule.matches(job)));
  const whole = JOBS.every((job) => rule.matches(job) === states.includes(jobState(job)));
  return whole ? states : null;
}

describe('job states', () => {
  it('put every job in exactly one state: its status, with failed split by whether a next attempt is scheduled', () => {
    for (const job of JOBS) {
      expect([label(job), JOB_STATES.filter((state) => JOB_STATE_RULES[state].matches(job))]).toEqual([label(job), [jobState(job)]]);
    }
    expect(jobState({ status: 'failed', nextAttemptAt: new Date() })).toBe('retrying');
    expect(jobState({ status: 'failed', nextAttemptAt: null })).toBe('failed');
  });

  it('group states: unfinished jobs run again by themselves, discarded ones finished without succeeding', () => {
    expect(statesMatching(UNFINISHED)).toEqual(['blocked', 'pending', 'processing', 'retrying', 'waiting']);
    expect(statesMatching(DISCARDED)).toEqual(['failed', 'cancelled']);
    expect(statesMatching(RETRYING)).toEqual(['retrying']);
    expect(statesMatching(FAILED_FOR_GOOD)).toEqual(['failed']);
  });

  describe('in SQL, on the same rows in Postgres', () => {
    let db: pg.Client;
    beforeAll(async () => {
      db = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await db.connect();
    });
    afterAll(async () => {
      await db?.end();
    });

    /**
     * The value of `expression` on each of JOBS, as a jobs row. With an alias, a second row
     * source with the same columns is joined in, so an unqualified column would be ambiguous.
     */
    async function evaluate(expression: string, alias?: string): Promise<unknown[]> {
      const rows = JOBS.map((_, i) => `(${i}, $${2 * i + 1}::text, $${2 * i + 2}::timestamptz)`).join(', ');
      const from = alias
        ? `(VALUES ${rows}) AS ${alias}(n, status, next_attempt_at) ` +
          `CROSS JOIN (VALUES ('completed', NULL::timestamptz)) AS other(status, next_attempt_at)`
        : `(VALUES ${rows}) AS unqualified(n, status, next_attempt_at)`;
      const values = JOBS.flatMap((job) => [job.status, job.nextAttemptAt]);
      const result = await db.query<{ value: unknown }>(`SELECT ${expression} AS value FROM ${from} ORDER BY n`, values);
      return result.rows.map((row) => row.value);
    }

    it.each(RULES)('%s: the SQL condition holds on exactly the jobs the predicate matches', async (_name, rule) => {
      const expected = JOBS.filter((job) => rule.matches(job)).map(label);
      const holds = async (alias?: string) =>
        (await evaluate(rule.sql(alias), alias)).flatMap((value, i) => (value === true ? [label(JOBS[i])] : []));
      expect(await holds()).toEqual(expected);
      expect(await holds('job')).toEqual(expected);
    });

    it('jobStateSql names the state jobState names, on every job', async () => {
      const expected = JOBS.map(jobState);
      expect(await evaluate(jobStateSql())).toEqual(expected);
      expect(await evaluate(jobStateSql('job'), 'job')).toEqual(expected);
    });
  });
});
