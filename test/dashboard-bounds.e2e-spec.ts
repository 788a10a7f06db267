import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord, QueueService } from '@dataqueue/nestjs';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { DataSource } from 'typeorm';
import { allJobs } from './support/batches.js';
import {
  createDashboardApp,
  DashboardClient,
  escapeHtml,
  jobIdsIn,
  type ActionResponse,
  type DashboardApp,
} from './support/dashboard-app.js';
import { launchChromium } from './support/chromium.js';
import { translated } from './support/dashboard-locales.js';
import { databaseUrl, dropSchema } from './support/unique-schema.js';
import { NoteHandler } from './fixtures/dashboard-handlers.js';

/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };
/** Jobs one bulk-action request acts on at most. */
const CHUNK_JOBS = 500;
/** Matches no payload, so a search for it reads every row. */
const NOWHERE = 'needle-found-nowhere';

interface JobActionResult {
  affected: number;
  errors: { id: string; message: string }[];
  next: string | null;
}

/** A queue name of its own for one test, so its jobs can be told from every other test's. */
function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Runs `work` on a connection of its own, closed afterwards. */
async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Holds an ACCESS EXCLUSIVE lock on the schema's jobs table while `work` runs, so every read of
 * it waits (and a statement timeout stops it) however little data there is.
 */
async function whileJobsTableLocked<T>(schema: string, work: () => Promise<T>): Promise<T> {
  return withClient(async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(`LOCK TABLE "${schema}".jobs IN ACCESS EXCLUSIVE MODE`);
      return await work();
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

/** Sends a job action again with each answer's `next` until it says it is done; every answer, in order. */
async function actInChunks(client: DashboardClient, body: object): Promise<JobActionResult[]> {
  const answers: JobActionResult[] = [];
  let next: string | null = null;
  do {
    const response: ActionResponse<JobActionResult> = await client.post<JobActionResult>('/actions/jobs', {
      ...body,
      ...(next ? { next } : {}),
    });
    expect(response.status).toBe(200);
    answers.push(response.body);
    next = response.body.next;
  } while (next !== null && answers.length < 100);
  return answers;
}

/** The statuses `jobs` of queue `q` are in (`deleted` when gone), each once. */
async function statusesOf(queue: QueueService, q: string, jobs: Pick<JobRecord, 'id'>[]): Promise<string[]> {
  const statusById = new Map((await allJobs(queue, { queue: q })).map((job) => [job.id, job.status]));
  return [...new Set(jobs.map((job) => statusById.get(job.id) ?? 'deleted'))];
}

describe('the dashboard bounds what one request may cost', () => {
  describe('when the connection has a stricter statement_timeout (250 ms) than the dashboard (5 s)', () => {
    const TIMEOUT_MS = 250;
    let dataSource: DataSource;
    let dash: DashboardApp;
    let client: DashboardClient;

    beforeAll(async () => {
      // The app's own DataSource, with a statement_timeout on every connection of its pool.
      dataSource = new DataSource({ type: 'postgres', url: databaseUrl(), poolSize: 4, extra: { statement_timeout: TIMEOUT_MS } });
      dash = await createDashboardApp({ providers: [NoteHandler], options: { dataSource } });
      client = await new DashboardClient(dash.baseUrl).session();
      // 200 finished jobs of about 1 MB of payload each: reading them all as text takes seconds.
      await withClient((pgClient) =>
        pgClient.query(
          `INSERT INTO "${dash.schema}".jobs (job_type, queue, payload, status, max_attempts, available_at, completed_at)
           SELECT 'archived', 'archive', jsonb_build_object('blob', repeat(md5(n::text), 32768)), 'completed', 1, NULL, now()
           FROM generate_series(1, 200) AS n`,
        ),
      );
    });

    afterAll(async () => {
      await dash?.close();
      if (dataSource?.isInitialized) await dataSource.destroy();
    });

    it('answers a search the timeout stopped with 200 and a notice saying how to narrow it, in the page locale', async () => {
      const page = await client.page(`/jobs?search=${NOWHERE}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('data-testid="search-timed-out"');
      expect(page.html).toContain(escapeHtml(translated('en', 'jobs.searchTimedOut', { seconds: '0.25' })));
      expect(jobIdsIn(page.html)).toEqual([]);
      expect(page.html).not.toContain(escapeHtml(translated('en', 'jobs.emptyFiltered')));
      // The filters stay in the form, to be narrowed.
      expect(page.html).toContain(`value="${NOWHERE}"`);

      const german = await client.page(`/jobs?search=${NOWHERE}&locale=de`);
      expect(german.status).toBe(200);
      expect(german.html).toContain(
        escapeHtml(translated('de', 'jobs.searchTimedOut', { seconds: new Intl.NumberFormat('de').format(0.25) })),
      );
    });

    it('still finds a job by a search narrowed by queue, and by its id', async () => {
      const q = uniqueQueue('narrow');
      const job = await dash.queue.enqueue('note', { text: 'findable text' }, { ...LATER, queue: q });
      const narrowed = await client.page(`/jobs?queue=${q}&search=FINDABLE`);
      expect(narrowed.status).toBe(200);
      expect(jobIdsIn(narrowed.html)).toEqual([job.id]);
      expect(narrowed.html).not.toContain('data-testid="search-timed-out"');

      const byId = await client.page(`/jobs?search=${job.id}`);
      expect(jobIdsIn(byId.html)).toEqual([job.id]);
    });

    it('answers a bulk action whose filter search the timeout stopped with 503, acting on nothing', async () => {
      const q = uniqueQueue('untouched');
      const bystander = await dash.queue.enqueue('note', { text: NOWHERE }, { ...LATER, queue: q });
      const response = await client.post<{ message: string }>('/actions/jobs', { action: 'cancel', filter: { search: NOWHERE } });
      expect(response.status).toBe(503);
      expect(response.body.message).toMatch(/ran longer than its 0\.25 s statement timeout and was stopped/);
      expect((await dash.queue.getJob(bystander.id))!.status).toBe('pending');
    });

    it('answers any other page whose query the timeout stopped with a 503 page naming the limit, and recovers', async () => {
      const stopped = await whileJobsTableLocked(dash.schema, () => client.page(''));
      expect(stopped.status).toBe(503);
      expect(stopped.html).toContain('data-testid="message-503"');
      expect(stopped.html).toMatch(/ran longer than its 0\.25 s statement timeout and was stopped/);
      expect((await client.page('')).status).toBe(200);
    });
  });

  describe('with the default statement timeout', () => {
    let dash: DashboardApp;
    let client: DashboardClient;

    beforeAll(async () => {
      dash = await createDashboardApp({ providers: [NoteHandler] });
      client = await new DashboardClient(dash.baseUrl).session();
    });

    afterAll(async () => {
      await dash?.close();
    });

    it('stops a page whose query waits past 5 s with a 503 page instead of hanging', async () => {
      const started = Date.now();
      const stopped = await whileJobsTableLocked(dash.schema, () => client.page('/queues'));
      const elapsedMs = Date.now() - started;
      expect(stopped.status).toBe(503);
      expect(stopped.html).toMatch(/ran longer than its 5 s statement timeout and was stopped/);
      expect(elapsedMs).toBeGreaterThanOrEqual(4_900);
      expect(elapsedMs).toBeLessThan(20_000);
      expect((await client.page('/queues')).status).toBe(200);
    });
  });

  describe('bulk actions, one chunk per request', () => {
    let dash: DashboardApp;
    let queue: QueueService;
    let client: DashboardClient;

    beforeAll(async () => {
      dash = await createDashboardApp({ providers: [NoteHandler] });
      queue = dash.queue;
      client = await new DashboardClient(dash.baseUrl).session();
    });

    afterAll(async () => {
      await dash?.close();
    });

    /** `count` pending jobs of queue `q` tagged `sweep`, plus bystanders the filter must not reach. */
    async function sweepable(q: string, count: number) {
      const matching = await queue.enqueueMany(
        Array.from({ length: count }, (_, n) => ({
          jobType: 'note',
          payload: { text: `sweep ${n}` },
          options: { ...LATER, queue: q, tags: ['sweep'] },
        })),
      );
      const bystanders = [
        await queue.enqueue('note', { text: 'other tag' }, { ...LATER, queue: q, tags: ['keep'] }),
        await queue.enqueue('note', { text: 'other queue' }, { ...LATER, tags: ['sweep'] }),
      ];
      return { matching, bystanders };
    }

    it('acts on 1,200 matching jobs over several requests of at most 500 each, ending with next: null', async () => {
      const q = uniqueQueue('chunked');
      const { matching, bystanders } = await sweepable(q, 1_200);

      const answers = await actInChunks(client, { action: 'cancel', filter: { queue: q, tag: 'sweep' } });
      expect(answers.length).toBeGreaterThanOrEqual(3);
      for (const answer of answers) expect(answer.affected).toBeLessThanOrEqual(CHUNK_JOBS);
      expect(answers.slice(0, -1).every((answer) => typeof answer.next === 'string')).toBe(true);
      expect(answers.at(-1)!.next).toBeNull();
      expect(answers.reduce((sum, answer) => sum + answer.affected, 0)).toBe(1_200);
      expect(answers.flatMap((answer) => answer.errors)).toEqual([]);

      expect(await statusesOf(queue, q, matching)).toEqual(['cancelled']);
      for (const bystander of bystanders) expect((await queue.getJob(bystander.id))!.status).toBe('pending');
    });

    it('leaves alone a matching job enqueued after the action began', async () => {
      const q = uniqueQueue('late');
      const { matching } = await sweepable(q, CHUNK_JOBS + 10);
      const first = await client.post<JobActionResult>('/actions/jobs', { action: 'cancel', filter: { queue: q, tag: 'sweep' } });
      expect(first.body).toMatchObject({ affected: CHUNK_JOBS, errors: [], next: expect.any(String) });
      const late = await queue.enqueue('note', { text: 'late' }, { ...LATER, queue: q, tags: ['sweep'] });

      const rest = await client.post<JobActionResult>('/actions/jobs', {
        action: 'cancel',
        filter: { queue: q, tag: 'sweep' },
        next: first.body.next,
      });
      expect(rest.body).toEqual({ affected: 10, errors: [], next: null });
      expect(await statusesOf(queue, q, matching)).toEqual(['cancelled']);
      expect((await queue.getJob(late.id))!.status).toBe('pending');
    });

    it('works through explicitly chosen ids in chunks too, each chosen job once', async () => {
      const q = uniqueQueue('chosen');
      const { matching, bystanders } = await sweepable(q, 1_100);
      const ids = matching.map((job) => job.id);

      const answers = await actInChunks(client, { action: 'delete', ids: [...ids, ids[0]] });
      expect(answers.map((answer) => answer.affected)).toEqual([500, 500, 100]);
      expect(answers.map((answer) => answer.next === null)).toEqual([false, false, true]);
      expect(answers.flatMap((answer) => answer.errors)).toEqual([]);

      expect((await allJobs(queue, { queue: q })).map((job) => job.id)).toEqual([bystanders[0].id]);
      expect((await queue.getJob(bystanders[1].id))!.status).toBe('pending');
    });

    it('answers a next that is not a previous answer, unchanged, with 400 naming next, acting on nothing', async () => {
      const q = uniqueQueue('bad-next');
      const { matching } = await sweepable(q, 3);
      const foreign = (key: object) => Buffer.from(JSON.stringify(key)).toString('base64url');
      for (const next of [
        'garbage',
        '',
        42,
        true,
        {},
        ['1'],
        foreign({ id: 'abc' }),
        foreign({ id: '0' }),
        foreign({ at: '1' }),
        foreign(['1']),
      ]) {
        for (const form of [{ filter: { queue: q } }, { ids: matching.map((job) => job.id) }]) {
          const response = await client.post<{ message: string }>('/actions/jobs', { action: 'cancel', ...form, next });
          expect({ next, status: response.status }).toEqual({ next, status: 400 });
          expect(response.body.message).toMatch(/^next must be/);
        }
      }
      expect(await statusesOf(queue, q, matching)).toEqual(['pending']);
    });

    it('keeps the action filter strict: an unknown field is a 400, and every job needs { all: true }', async () => {
      for (const filter of [{ queue: 'q', cursor: 'x' }, { all: true, next: 'x' }, {}]) {
        const response = await client.post<{ message: string }>('/actions/jobs', { action: 'cancel', filter });
        expect({ filter, status: response.status }).toEqual({ filter, status: 400 });
        expect(response.body.message).toMatch(/^filter/);
      }
    });
  });

  describe('the select-all-matching toolbar in a browser', () => {
    let dash: DashboardApp;
    let browser: Browser;

    beforeAll(async () => {
      dash = await createDashboardApp({ providers: [NoteHandler] });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await dash?.close();
    });

    it('repeats the request with each next until done, then reports the total', async () => {
      const q = uniqueQueue('browser');
      const jobs = await dash.queue.enqueueMany(
        Array.from({ length: 1_200 }, (_, n) => ({ jobType: 'note', payload: { text: `${n}` }, options: { ...LATER, queue: q } })),
      );
      const context = await browser.newContext({ locale: 'en-US' });
      try {
        context.setDefaultTimeout(30_000);
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        page.on('dialog', (dialog) => void dialog.accept());
        const actionBodies: { next?: string }[] = [];
        page.on('request', (request) => {
          if (request.method() === 'POST' && request.url().endsWith('/actions/jobs')) actionBodies.push(request.postDataJSON());
        });

        await page.goto(`${dash.baseUrl}/jobs?queue=${q}`);
        await page.check('[data-testid="select-all-matching"]');
        const reloaded = page.waitForEvent('load');
        await page.click('[data-testid="bulk-cancel"]');
        await reloaded;

        expect(await page.locator('#dataqueue-flash').textContent()).toBe(translated('en', 'client.affected', { count: '1,200' }));
        expect(actionBodies.length).toBeGreaterThanOrEqual(3);
        expect(actionBodies[0].next).toBeUndefined();
        expect(actionBodies.slice(1).every((body) => typeof body.next === 'string')).toBe(true);
        expect(pageErrors).toEqual([]);
        expect(await statusesOf(dash.queue, q, jobs)).toEqual(['cancelled']);
      } finally {
        await context.close();
      }
    });
  });

  describe('on a schema named by an SQL keyword', () => {
    const schema = 'group';
    let dash: DashboardApp;

    beforeAll(async () => {
      await dropSchema(schema);
      dash = await createDashboardApp({ providers: [NoteHandler], options: { schema } });
    });

    afterAll(async () => {
      await dash?.close();
      await dropSchema(schema);
    });

    it('serves every page, its raw SQL quoting the schema name', async () => {
      const job = await dash.queue.enqueue('note', { text: 'quoted' }, LATER);
      const client = new DashboardClient(dash.baseUrl);
      for (const path of ['', '/jobs', `/jobs/${job.id}`, '/batches', '/queues', '/cron', '/workers']) {
        expect({ path, status: (await client.page(path)).status }).toEqual({ path, status: 200 });
      }
      expect(jobIdsIn((await client.page('/jobs')).html)).toEqual([job.id]);
    });
  });
});
