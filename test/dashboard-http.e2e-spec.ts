import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext, JobRecord, QueueService } from '@dataqueue/nestjs';
import pg from 'pg';
import { allJobs, waitForBatchFinished } from './support/batches.js';
import {
  cardValueOf,
  createDashboardApp,
  dashboardAppsOf,
  DashboardClient,
  escapeHtml,
  jobIdsIn,
  langOf,
  nextLinkOf,
  PLATFORMS,
  testIdsIn,
  titleOf,
  type DashboardApp,
  type Platform,
} from './support/dashboard-app.js';
import { translated, type LocaleCode } from './support/dashboard-locales.js';
import { Gates } from './support/gates.js';
import { waitForFinalFailure, waitForJob, waitForStatus } from './support/test-app.js';
import { databaseUrl } from './support/unique-schema.js';
import { NoteHandler, FlakyHandler } from './fixtures/dashboard-handlers.js';

const gates = new Gates();
/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };
const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_ATTRIBUTE = '"><img src=x onerror=alert(1)>';

/** Fails every attempt, for good after the first (maxAttempts 1), with the payload's message. */
@JobHandler('doomed', { maxAttempts: 1 })
class DoomedHandler {
  async handle(payload: { message?: string }): Promise<never> {
    throw new Error(payload.message ?? 'doomed to fail');
  }
}

/** Fails with a retry scheduled an hour later: stays "retrying". */
@JobHandler('patient', { maxAttempts: 3, backoff: { baseMs: 3_600_000, jitter: 0 } })
class PatientHandler {
  async handle(): Promise<never> {
    throw new Error('patient: will retry in an hour');
  }
}

/** Runs until the test opens the payload's gate. */
@JobHandler('hold')
class HoldHandler {
  async handle(payload: { gate: string }, ctx: JobContext): Promise<void> {
    await gates.wait(payload.gate, ctx.signal);
  }
}

const HANDLERS = [NoteHandler, DoomedHandler, FlakyHandler, PatientHandler, HoldHandler];

/** Lets a request in when it carries `x-dashboard-role: admin`. */
@Injectable()
class AdminHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-dashboard-role'] === 'admin';
  }
}

/** A queue name of its own for one test, so its jobs can be told from every other test's. */
function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

function sortedIds(jobs: Pick<JobRecord, 'id'>[]): string[] {
  return jobs.map((job) => job.id).sort((a, b) => Number(b) - Number(a));
}

/** What the dashboard calls the job's state: `failed` with a next attempt is `retrying`. */
function stateOf(job: JobRecord): string {
  if (job.status === 'failed') return job.nextAttemptAt ? 'retrying' : 'failed';
  return job.status;
}

const PAGES = ['', '/jobs', '/batches', '/queues', '/workers'];

describe.each(PLATFORMS)('the dashboard over HTTP on %s', (platform: Platform) => {
  let dash: DashboardApp;
  let queue: QueueService;
  let client: DashboardClient;

  beforeAll(async () => {
    dash = await createDashboardApp({ platform, providers: HANDLERS, options: { pollIntervalMs: 50 } });
    queue = dash.queue;
    client = await new DashboardClient(dash.baseUrl).session();
  });

  afterAll(async () => {
    gates.openAll();
    await dash?.close();
  });

  describe('pages', () => {
    it('serves every page as uncached HTML with its title', async () => {
      const job = await queue.enqueue('note', { text: 'page tour' }, LATER);
      const batch = await queue.createBatch({ description: 'page tour' });
      const expected: [string, string][] = [
        ['', 'Overview'],
        ['/jobs', 'Jobs'],
        [`/jobs/${job.id}`, `Job ${job.id}`],
        ['/batches', 'Batches'],
        [`/batches/${batch.id}`, `Batch ${batch.id}`],
        ['/queues', 'Queues'],
        ['/workers', 'Workers'],
      ];
      for (const [path, title] of expected) {
        const page = await client.page(path);
        expect({ path, status: page.status }).toEqual({ path, status: 200 });
        expect(page.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
        expect(page.headers.get('cache-control')).toBe('no-store');
        expect(page.html.startsWith('<!doctype html>')).toBe(true);
        expect(titleOf(page.html)).toBe(`${title} · DataQueue`);
        expect(page.html).toContain(`<h1>${title}</h1>`);
      }
    });

    it('lists the running workers, each with its row, and counts them on the overview', async () => {
      const workers = await client.page('/workers');
      const rows = testIdsIn(workers.html).filter((id) => id === 'worker-row').length;
      expect(rows).toBeGreaterThanOrEqual(1);
      expect(workers.html).toContain(`<td class="num">${process.pid}</td>`);
      expect(cardValueOf((await client.page('')).html, 'workers-alive')).toBe(rows);
    });

    it('serves the stylesheet and script every page links to, cacheable for good', async () => {
      const { html } = await client.page('');
      const css = /<link rel="stylesheet" href="\/queue\/assets\/(dashboard\.[0-9a-f]{12}\.css)">/.exec(html)?.[1];
      const js = /<script src="\/queue\/assets\/(dashboard\.[0-9a-f]{12}\.js)" defer><\/script>/.exec(html)?.[1];
      expect(css).toBeDefined();
      expect(js).toBeDefined();
      for (const [file, type] of [
        [css!, 'text/css'],
        [js!, 'text/javascript'],
      ]) {
        const response = await fetch(`${dash.baseUrl}/assets/${file}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain(type);
        expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect((await response.text()).length).toBeGreaterThan(100);
      }
      expect((await fetch(`${dash.baseUrl}/assets/dashboard.000000000000.js`)).status).toBe(404);
    });

    it('answers an unknown or malformed job or batch id with a 404 page', async () => {
      for (const path of ['/jobs/999999999999', '/jobs/not-a-number', `/batches/${randomUUID()}`, '/batches/not-a-uuid']) {
        const page = await client.page(path);
        expect({ path, status: page.status }).toEqual({ path, status: 404 });
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(testIdsIn(page.html)).toContain('message-404');
        expect(titleOf(page.html)).toBe('Not found · DataQueue');
      }
    });

    it('filters the batches list by state', async () => {
      const running = await queue.createBatch({ description: 'still open' });
      const succeeded = await queue.createBatch({ description: 'all good' });
      await succeeded.enqueue([{ jobType: 'note', payload: { text: 'fine' } }]);
      const discarded = await queue.createBatch({ description: 'one lost' });
      await discarded.enqueue([{ jobType: 'doomed', payload: {} }]);
      await waitForBatchFinished(queue, succeeded.id);
      await waitForBatchFinished(queue, discarded.id);

      const listed = async (state: string) => {
        const { status, html } = await client.page(`/batches${state ? `?state=${state}` : ''}`);
        expect(status).toBe(200);
        const ids = [...html.matchAll(/data-testid="batch-row" data-batch-id="([^"]+)"/g)].map((match) => match[1]);
        return [running.id, succeeded.id, discarded.id].filter((id) => ids.includes(id));
      };
      expect(await listed('')).toEqual([running.id, succeeded.id, discarded.id]);
      expect(await listed('running')).toEqual([running.id]);
      expect(await listed('succeeded')).toEqual([succeeded.id]);
      expect(await listed('discarded')).toEqual([discarded.id]);
      expect(await listed('finished')).toEqual([succeeded.id, discarded.id]);
    });

    it('shows the job page of a failed job with its error and a retry action', async () => {
      const job = await queue.enqueue('doomed', { message: 'the disk is full' });
      await waitForFinalFailure(queue, job.id);
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(html).toMatch(/data-testid="job-state">Failed</);
      expect(html).toContain('the disk is full');
      expect(testIdsIn(html)).toEqual(expect.arrayContaining(['action-retry', 'action-delete', 'payload']));
      expect(testIdsIn(html)).not.toContain('action-cancel');
    });
  });

  describe('access', () => {
    const boot = dashboardAppsOf(platform, HANDLERS);

    it('is closed by default: every page is a 403 HTML page that says how to open it', async () => {
      const closed = await boot({});
      const job = await closed.queue.enqueue('note', { text: 'secret payload' });
      const anonymous = new DashboardClient(closed.baseUrl);
      for (const path of [...PAGES, `/jobs/${job.id}`]) {
        const page = await anonymous.page(path);
        expect({ path, status: page.status }).toEqual({ path, status: 403 });
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(testIdsIn(page.html)).toContain('message-403');
        expect(page.html).toContain('configure DataQueueDashboardModule with a guard, or public: true');
        expect(page.html).not.toContain('secret payload');
        expect(page.html).not.toContain('data-testid="job-row"');
      }
      const action = await anonymous.post(
        '/actions/jobs',
        { action: 'cancel', ids: [job.id] },
        { token: 'a'.repeat(64), cookie: `dataqueue_csrf=${'a'.repeat(64)}` },
      );
      expect(action.status).toBe(403);
      expect((await closed.queue.getJob(job.id))!.status).toBe('pending');
    });

    it("opens to requests the host's guard class lets in, and refuses the others with a 403 page", async () => {
      const guarded = await boot({ guard: AdminHeaderGuard });
      const admin = new DashboardClient(guarded.baseUrl, { 'x-dashboard-role': 'admin' });
      const visitor = new DashboardClient(guarded.baseUrl, { 'x-dashboard-role': 'visitor' });
      for (const path of PAGES) {
        expect({ path, status: (await admin.page(path)).status }).toEqual({ path, status: 200 });
        const refused = await visitor.page(path);
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
        expect(testIdsIn(refused.html)).toContain('message-403');
      }

      const job = await guarded.queue.enqueue('note', { text: 'guarded' }, LATER);
      await admin.session();
      // The visitor replays the admin's CSRF token and cookie: the guard still says no.
      const refused = await visitor.post(
        '/actions/jobs',
        { action: 'cancel', ids: [job.id] },
        { token: admin.token, cookie: admin.cookie },
      );
      expect(refused.status).toBe(403);
      expect((await guarded.queue.getJob(job.id))!.status).toBe('pending');
      const allowed = await admin.post('/actions/jobs', { action: 'cancel', ids: [job.id] });
      expect(allowed).toEqual({ status: 200, body: { affected: 1, errors: [], next: null } });
    });

    it('accepts a guard instance', async () => {
      const guard: CanActivate = {
        canActivate: (context) =>
          context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization === 'Bearer let-me-in',
      };
      const guarded = await boot({ guard });
      const page = (authorization?: string) => new DashboardClient(guarded.baseUrl, authorization ? { authorization } : {}).page('/jobs');
      expect((await page('Bearer let-me-in')).status).toBe(200);
      expect((await page('Bearer guess')).status).toBe(403);
      expect((await page()).status).toBe(403);
    });

    it('opens to anyone with public: true', async () => {
      const open = await boot({ public: true });
      for (const path of PAGES) {
        expect({ path, status: (await new DashboardClient(open.baseUrl).page(path)).status }).toEqual({ path, status: 200 });
      }
    });

    it('serves its assets even when closed (the 403 page needs them)', async () => {
      const closed = await boot({});
      const { html } = await new DashboardClient(closed.baseUrl).page('');
      const css = /href="\/queue\/assets\/([^"]+\.css)"/.exec(html)![1];
      expect((await fetch(`${closed.baseUrl}/assets/${css}`)).status).toBe(200);
    });

    describe('read-only mode', () => {
      let readOnly: DashboardApp;
      let viewer: DashboardClient;
      let pendingJob: JobRecord;
      let cancelledJob: JobRecord;
      let batchId: string;

      beforeAll(async () => {
        readOnly = await boot({ public: true, readOnly: true });
        pendingJob = await readOnly.queue.enqueue('note', { text: 'read-only pending' });
        cancelledJob = await readOnly.queue.cancelJob((await readOnly.queue.enqueue('note', { text: 'read-only cancelled' })).id);
        const batch = await readOnly.queue.createBatch({ description: 'read-only batch' });
        await batch.enqueue([{ jobType: 'note', payload: { text: 'in batch' } }]);
        batchId = batch.id;
        await readOnly.queue.pause({ tag: 'frozen' });
        viewer = await new DashboardClient(readOnly.baseUrl).session();
      });

      it('renders no action: no buttons, no bulk toolbar, no row checkboxes, no pause forms', async () => {
        const paths = [
          '',
          '/jobs',
          `/jobs/${pendingJob.id}`,
          `/jobs/${cancelledJob.id}`,
          '/batches',
          `/batches/${batchId}`,
          '/queues',
          '/workers',
        ];
        for (const path of paths) {
          const { status, html } = await viewer.page(path);
          expect({ path, status }).toEqual({ path, status: 200 });
          const actionIds = testIdsIn(html).filter((id) =>
            /^(action-|bulk-|batch-retry|batch-cancel|select-all-matching|queue-pause|queue-resume|pause-resume|pause-add)/.test(id),
          );
          expect({ path, actionIds }).toEqual({ path, actionIds: [] });
          expect({ path, forms: html.includes('data-action=') }).toEqual({ path, forms: false });
          expect(html).not.toContain('data-row-select');
          expect(html).toContain('class="badge read-only"');
        }
        // The same job's page on a writable dashboard does offer them.
        const writable = await client.page(`/jobs/${(await queue.enqueue('note', { text: 'writable' }, LATER)).id}`);
        expect(testIdsIn(writable.html)).toEqual(expect.arrayContaining(['action-cancel', 'action-reschedule', 'action-delete']));
      });

      it('refuses every action with 403, even with a valid CSRF token', async () => {
        const requests: [string, object][] = [
          ['/actions/jobs', { action: 'cancel', ids: [pendingJob.id] }],
          ['/actions/jobs', { action: 'retry', ids: [cancelledJob.id] }],
          ['/actions/jobs', { action: 'delete', filter: {} }],
          [`/actions/batches/${batchId}/cancel`, {}],
          ['/actions/pauses', { kind: 'queue', value: 'default', paused: true }],
        ];
        for (const [path, body] of requests) {
          const response = await viewer.post(path, body);
          expect({ path, status: response.status }).toEqual({ path, status: 403 });
          expect(JSON.stringify(response.body)).toContain('read-only');
        }
        expect((await readOnly.queue.getJob(pendingJob.id))!.status).toBe('pending');
        expect((await readOnly.queue.getJob(cancelledJob.id))!.status).toBe('cancelled');
        expect((await readOnly.queue.getBatch(batchId))!.finishedAt).toBeNull();
        expect(await readOnly.queue.listPauses()).toEqual([expect.objectContaining({ kind: 'tag', value: 'frozen' })]);
      });
    });
  });

  describe('CSRF protection', () => {
    it('sets an HttpOnly, SameSite=Strict token cookie on the mount path and repeats the token in the page', async () => {
      const fresh = new DashboardClient(dash.baseUrl);
      const response = await fetch(`${dash.baseUrl}/jobs`);
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('dataqueue_csrf='));
      expect(cookie).toMatch(/^dataqueue_csrf=[0-9a-f]{64}; Path=\/queue; HttpOnly; SameSite=Strict$/);
      const token = /^dataqueue_csrf=([0-9a-f]{64})/.exec(cookie!)![1];
      expect(await response.text()).toContain(`<meta name="dataqueue-csrf" content="${token}">`);

      // A browser that already holds the cookie keeps its token.
      fresh.cookie = `dataqueue_csrf=${token}`;
      const again = await fetch(`${dash.baseUrl}/queues`, { headers: { cookie: fresh.cookie } });
      expect(again.headers.getSetCookie().filter((line) => line.startsWith('dataqueue_csrf='))).toEqual([]);
      expect(await again.text()).toContain(`<meta name="dataqueue-csrf" content="${token}">`);
    });

    it('refuses an action without the token header, with a wrong token, or without the cookie; accepts the right pair', async () => {
      const job = await queue.enqueue('note', { text: 'csrf' }, LATER);
      const body = { action: 'cancel', ids: [job.id] };
      const wrong = client.token!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      for (const csrf of [
        { token: null },
        { token: wrong },
        { token: 'not-even-hex' },
        { cookie: null },
        { cookie: `dataqueue_csrf=${wrong}`, token: client.token },
      ]) {
        const refused = await client.post('/actions/jobs', body, csrf);
        expect({ csrf, status: refused.status }).toEqual({ csrf, status: 403 });
        expect(JSON.stringify(refused.body)).toContain('CSRF');
      }
      expect((await queue.getJob(job.id))!.status).toBe('pending');

      const accepted = await client.post('/actions/jobs', body);
      expect(accepted).toEqual({ status: 200, body: { affected: 1, errors: [], next: null } });
      expect((await queue.getJob(job.id))!.status).toBe('cancelled');
    });

    it('checks the token on batch and pause actions too', async () => {
      const batch = await queue.createBatch();
      for (const path of [`/actions/batches/${batch.id}/cancel`, '/actions/pauses']) {
        const refused = await client.post(path, { kind: 'queue', value: 'nowhere', paused: true }, { token: null });
        expect({ path, status: refused.status }).toEqual({ path, status: 403 });
      }
      expect((await queue.listPauses()).map((pause) => pause.value)).not.toContain('nowhere');
    });
  });

  describe('escaping (XSS)', () => {
    it('renders payloads, tags, keys, errors and batch fields as text, never as markup', async () => {
      const batch = await queue.createBatch({ description: XSS_ATTRIBUTE, properties: { note: XSS_SCRIPT } });
      const [job] = await batch.add([
        {
          jobType: 'note',
          payload: { text: XSS_SCRIPT, nested: { html: XSS_ATTRIBUTE } },
          options: { ...LATER, tags: [XSS_ATTRIBUTE, XSS_SCRIPT], idempotencyKey: XSS_ATTRIBUTE },
        },
      ]);
      const failed = await queue.enqueue('doomed', { message: XSS_SCRIPT }, { tags: [XSS_ATTRIBUTE] });
      await waitForFinalFailure(queue, failed.id);
      await queue.pause({ tag: XSS_ATTRIBUTE });
      try {
        const pages = [
          `/jobs/${job.id}`,
          `/jobs/${failed.id}`,
          '/jobs',
          `/jobs?tag=${encodeURIComponent(XSS_ATTRIBUTE)}`,
          `/jobs?search=${encodeURIComponent(XSS_SCRIPT)}&queue=${encodeURIComponent(XSS_ATTRIBUTE)}` +
            `&jobType=${encodeURIComponent(XSS_SCRIPT)}`,
          `/batches/${batch.id}`,
          '/batches',
          '/queues',
          `/jobs?locale=${encodeURIComponent(XSS_ATTRIBUTE)}`,
        ];
        for (const path of pages) {
          const { status, html } = await client.page(path);
          expect({ path, status }).toEqual({ path, status: 200 });
          expect({ path, raw: html.includes(XSS_SCRIPT) }).toEqual({ path, raw: false });
          expect({ path, raw: html.includes('<img src=x') }).toEqual({ path, raw: false });
          expect({ path, raw: html.includes('"><img') }).toEqual({ path, raw: false });
        }

        const jobPage = (await client.page(`/jobs/${job.id}`)).html;
        expect(jobPage).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
        expect(jobPage).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
        expect(jobPage).toMatch(/<pre data-testid="payload">[^<]*&lt;script&gt;alert\(1\)&lt;\/script&gt;[^<]*<\/pre>/);
        expect((await client.page(`/jobs/${failed.id}`)).html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
        expect((await client.page(`/batches/${batch.id}`)).html).toMatch(/<pre data-testid="batch-attributes">[^<]*&lt;script&gt;/);
        const filtered = await client.page(`/jobs?tag=${encodeURIComponent(XSS_ATTRIBUTE)}`);
        expect(jobIdsIn(filtered.html).sort()).toEqual([job.id, failed.id].sort());
        expect(filtered.html).toContain('name="tag" value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
        expect((await client.page('/queues')).html).toContain('<td class="mono">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>');
      } finally {
        await queue.resume({ tag: XSS_ATTRIBUTE });
      }
    });
  });

  describe('hostile filter values (SQL injection)', () => {
    it('treats quotes, comments and LIKE wildcards in filters as plain values', async () => {
      const q = uniqueQueue('sqli');
      const injectedTag = "a' OR '1'='1";
      const dropText = "%' ; DROP TABLE jobs; --";
      const tagged = await queue.enqueue('note', { text: 'tagged' }, { ...LATER, queue: q, tags: [injectedTag] });
      const dropping = await queue.enqueue('note', { text: `about ${dropText}` }, { ...LATER, queue: q });
      const bystander = await queue.enqueue('note', { text: 'about 100% nothing' }, { ...LATER, queue: q, tags: ['a'] });

      const queueFilter = await client.page(`/jobs?queue=${encodeURIComponent("x' OR 1=1--")}`);
      expect(queueFilter.status).toBe(200);
      expect(jobIdsIn(queueFilter.html)).toEqual([]);

      const tagFilter = await client.page(`/jobs?tag=${encodeURIComponent(injectedTag)}`);
      expect(tagFilter.status).toBe(200);
      expect(jobIdsIn(tagFilter.html)).toEqual([tagged.id]);

      const search = await client.page(`/jobs?search=${encodeURIComponent("%' ; DROP TABLE")}`);
      expect(search.status).toBe(200);
      expect(jobIdsIn(search.html)).toEqual([dropping.id]);

      const wildcard = await client.page(`/jobs?queue=${q}&search=${encodeURIComponent('%')}`);
      expect(jobIdsIn(wildcard.html).sort()).toEqual([dropping.id, bystander.id].sort());

      for (const path of [
        "/jobs?batchId=1' OR '1'='1",
        "/jobs?state=pending' OR 1=1--",
        "/jobs?cursor=' OR 1=1--",
        "/batches?state=running'--",
      ]) {
        expect({ path, status: (await client.page(path)).status }).toEqual({ path, status: 200 });
      }
      // Stale or made-up cursors do not break the page either.
      expect((await client.page(`/jobs?cursor=${Buffer.from(JSON.stringify({ id: '1 OR 1=1' })).toString('base64url')}`)).status).toBe(200);

      const pgClient = new pg.Client({ connectionString: databaseUrl() });
      await pgClient.connect();
      try {
        const { rows } = await pgClient.query<{ table: string | null }>(`SELECT to_regclass($1)::text AS table`, [`"${dash.schema}".jobs`]);
        expect(rows[0].table).not.toBeNull();
      } finally {
        await pgClient.end();
      }
      expect((await queue.getJob(tagged.id))!.status).toBe('pending');
    });
  });

  describe('the jobs list', () => {
    let q: string;
    let alpha: JobRecord;
    let bravo: JobRecord;
    let charlie: JobRecord;
    let delta: JobRecord;
    let echo: JobRecord;
    let batchId: string;
    const listed = async (query: string) => {
      const page = await client.page(`/jobs?${query}`);
      expect(page.status).toBe(200);
      return jobIdsIn(page.html);
    };

    beforeAll(async () => {
      q = uniqueQueue('filters');
      alpha = await queue.enqueue('note', { text: 'alpha apple' }, { ...LATER, queue: q, tags: ['red'] });
      bravo = await queue.enqueue('note', { text: 'bravo' }, { ...LATER, queue: q, tags: ['blue'] });
      charlie = await queue.enqueue('doomed', { message: 'charlie' }, { ...LATER, queue: q, tags: ['red', 'green'] });
      const batch = await queue.createBatch({ description: 'filters' });
      [delta] = await batch.add([{ jobType: 'note', payload: { text: 'delta' }, options: { ...LATER, queue: q } }]);
      batchId = batch.id;
      echo = await queue.cancelJob((await queue.enqueue('note', { text: 'echo' }, { ...LATER, queue: q })).id);
    });

    it('filters by queue, newest first', async () => {
      expect(await listed(`queue=${q}`)).toEqual(sortedIds([alpha, bravo, charlie, delta, echo]));
      expect(await listed(`queue=${uniqueQueue('empty')}`)).toEqual([]);
    });

    it('filters by state', async () => {
      expect(await listed(`queue=${q}&state=cancelled`)).toEqual([echo.id]);
      expect(await listed(`queue=${q}&state=pending`)).toEqual(sortedIds([alpha, bravo, charlie, delta]));
      expect(await listed(`queue=${q}&state=completed`)).toEqual([]);
    });

    it('filters by job type', async () => {
      expect(await listed(`queue=${q}&jobType=doomed`)).toEqual([charlie.id]);
    });

    it('filters by tag', async () => {
      expect(await listed(`queue=${q}&tag=red`)).toEqual(sortedIds([alpha, charlie]));
      expect(await listed(`queue=${q}&tag=green`)).toEqual([charlie.id]);
    });

    it('filters by batch id', async () => {
      expect(await listed(`batchId=${batchId}`)).toEqual([delta.id]);
      expect(await listed(`batchId=${randomUUID()}`)).toEqual([]);
    });

    it('searches by job id', async () => {
      expect(await listed(`search=${bravo.id}`)).toEqual([bravo.id]);
    });

    it('searches the payload and the job type as text, case-insensitively', async () => {
      expect(await listed(`queue=${q}&search=ALPHA`)).toEqual([alpha.id]);
      expect(await listed(`queue=${q}&search=doom`)).toEqual([charlie.id]);
    });

    it('keeps the chosen filters in the filter form', async () => {
      const { html } = await client.page(`/jobs?queue=${q}&state=pending&tag=red&search=alpha`);
      expect(html).toContain(`<option value="${q}" selected>`);
      expect(html).toContain('<option value="pending" selected>');
      expect(html).toContain('name="tag" value="red"');
      expect(html).toContain('name="search" value="alpha"');
    });

    it('pages through 60 jobs with a keyset cursor: 50, then the remaining 10, without overlap', async () => {
      const paged = uniqueQueue('paged');
      const jobs = await queue.enqueueMany(
        Array.from({ length: 60 }, (_, i) => ({ jobType: 'note', payload: { text: `page ${i}` }, options: { ...LATER, queue: paged } })),
      );
      const first = await client.page(`/jobs?queue=${paged}`);
      const firstIds = jobIdsIn(first.html);
      expect(firstIds).toEqual(sortedIds(jobs).slice(0, 50));

      const next = nextLinkOf(first.html);
      expect(next).toMatch(new RegExp(`^/queue/jobs\\?queue=${paged}&cursor=[\\w-]+$`));
      const second = await client.page(next!.slice('/queue'.length));
      const secondIds = jobIdsIn(second.html);
      expect(secondIds).toEqual(sortedIds(jobs).slice(50));
      expect(secondIds).toHaveLength(10);
      expect(firstIds.filter((id) => secondIds.includes(id))).toEqual([]);
      expect(nextLinkOf(second.html)).toBeNull();
      expect(second.html).toContain(`<a href="/queue/jobs?queue=${paged}">`);
    });
  });

  describe('job actions', () => {
    it('retries a failed job, which runs again and completes', async () => {
      const job = await queue.enqueue('flaky', {});
      await waitForFinalFailure(queue, job.id);
      expect(await client.post('/actions/jobs', { action: 'retry', ids: [job.id] })).toEqual({
        status: 200,
        body: { affected: 1, errors: [], next: null },
      });
      const done = await waitForStatus(queue, job.id, 'completed');
      expect(done.lastRetriedAt).toBeInstanceOf(Date);
      expect(done.output).toEqual({ ok: true });
    });

    it('cancels a pending job', async () => {
      const job = await queue.enqueue('note', { text: 'cancel me' }, LATER);
      expect(await client.post('/actions/jobs', { action: 'cancel', ids: [job.id] })).toEqual({
        status: 200,
        body: { affected: 1, errors: [], next: null },
      });
      expect((await queue.getJob(job.id))!.status).toBe('cancelled');
    });

    it('reschedules a pending job to the given time', async () => {
      const job = await queue.enqueue('note', { text: 'move me' }, LATER);
      const runAt = new Date(Date.now() + 7_200_000);
      runAt.setMilliseconds(0);
      expect(await client.post('/actions/jobs', { action: 'reschedule', ids: [job.id], runAt: runAt.toISOString() })).toEqual({
        status: 200,
        body: { affected: 1, errors: [], next: null },
      });
      const moved = (await queue.getJob(job.id))!;
      expect(moved.status).toBe('pending');
      expect(moved.runAt.toISOString()).toBe(runAt.toISOString());
    });

    it('deletes a job', async () => {
      const job = await queue.enqueue('note', { text: 'delete me' }, LATER);
      expect(await client.post('/actions/jobs', { action: 'delete', ids: [job.id] })).toEqual({
        status: 200,
        body: { affected: 1, errors: [], next: null },
      });
      expect(await queue.getJob(job.id)).toBeNull();
      expect((await client.page(`/jobs/${job.id}`)).status).toBe(404);
    });

    it('acts on several chosen jobs at once', async () => {
      const jobs = await queue.enqueueMany([1, 2, 3].map((n) => ({ jobType: 'note', payload: { text: `bulk ${n}` }, options: LATER })));
      const bystander = await queue.enqueue('note', { text: 'not chosen' }, LATER);
      const ids = jobs.map((job) => job.id);
      expect(await client.post('/actions/jobs', { action: 'cancel', ids })).toEqual({
        status: 200,
        body: { affected: 3, errors: [], next: null },
      });
      for (const id of ids) expect((await queue.getJob(id))!.status).toBe('cancelled');
      expect((await queue.getJob(bystander.id))!.status).toBe('pending');

      expect(await client.post('/actions/jobs', { action: 'delete', ids })).toEqual({
        status: 200,
        body: { affected: 3, errors: [], next: null },
      });
      for (const id of ids) expect(await queue.getJob(id)).toBeNull();
    });

    it('acts on every job matching a filter ("select all matching")', async () => {
      const q = uniqueQueue('matching');
      const matching = await queue.enqueueMany(
        [1, 2, 3].map((n) => ({ jobType: 'note', payload: { text: `match ${n}` }, options: { ...LATER, queue: q, tags: ['sweep'] } })),
      );
      const otherTag = await queue.enqueue('note', { text: 'other tag' }, { ...LATER, queue: q, tags: ['keep'] });
      const otherQueue = await queue.enqueue('note', { text: 'other queue' }, { ...LATER, tags: ['sweep'] });

      const response = await client.post('/actions/jobs', { action: 'cancel', filter: { queue: q, tag: 'sweep', state: 'pending' } });
      expect(response).toEqual({ status: 200, body: { affected: 3, errors: [], next: null } });
      for (const job of matching) expect((await queue.getJob(job.id))!.status).toBe('cancelled');
      expect((await queue.getJob(otherTag.id))!.status).toBe('pending');
      expect((await queue.getJob(otherQueue.id))!.status).toBe('pending');

      const retried = await client.post('/actions/jobs', { action: 'delete', filter: { queue: q, state: 'cancelled' } });
      expect(retried).toEqual({ status: 200, body: { affected: 3, errors: [], next: null } });
      expect((await allJobs(queue, { queue: q })).map((job) => job.id)).toEqual([otherTag.id]);
    });

    it('reports each job in the wrong state (or gone) in errors, and still acts on the others', async () => {
      const failed = await queue.enqueue('flaky', {});
      await waitForFinalFailure(queue, failed.id);
      const pending = await queue.enqueue('note', { text: 'still pending' }, LATER);
      const response = await client.post<{ affected: number; errors: { id: string; message: string }[] }>('/actions/jobs', {
        action: 'retry',
        ids: [pending.id, failed.id],
      });
      expect(response.status).toBe(200);
      expect(response.body.affected).toBe(1);
      expect(response.body.errors).toEqual([{ id: pending.id, message: expect.stringMatching(/pending/) }]);
      await waitForStatus(queue, failed.id, 'completed');
      expect((await queue.getJob(pending.id))!.status).toBe('pending');

      const gone = await client.post('/actions/jobs', { action: 'delete', ids: ['999999999999'] });
      expect(gone).toEqual({
        status: 200,
        body: { affected: 0, errors: [{ id: '999999999999', message: expect.stringMatching(/does not exist/) }], next: null },
      });
      const cancelCompleted = await client.post<{ affected: number; errors: { id: string }[] }>('/actions/jobs', {
        action: 'cancel',
        ids: [failed.id],
      });
      expect(cancelCompleted.body).toEqual({
        affected: 0,
        errors: [{ id: failed.id, message: expect.stringMatching(/completed/) }],
        next: null,
      });
    });

    it('rejects a malformed action with 400 naming the problem', async () => {
      const cases: [object, RegExp][] = [
        [{ action: 'explode', ids: ['1'] }, /action must be/],
        [{ action: 'cancel' }, /either ids or filter/],
        [{ action: 'cancel', ids: ['1'], filter: {} }, /either ids or filter/],
        [{ action: 'cancel', ids: ['1; DROP TABLE jobs'] }, /ids must be/],
        [{ action: 'reschedule', ids: ['1'], runAt: 'someday' }, /runAt must be a Date or a date string/],
        // A destructive filter never widens to every job by accident.
        [{ action: 'cancel', filter: 'anything' }, /filter must be an object/],
        [{ action: 'cancel', filter: [] }, /filter must be an object/],
        [{ action: 'cancel', filter: null }, /filter must be an object/],
        [{ action: 'cancel', filter: {} }, /send \{ \\"all\\": true \}/],
        [{ action: 'cancel', filter: { state: 'faield' } }, /filter.state must be one of/],
        [{ action: 'cancel', filter: { State: 'failed' } }, /filter.State is not a filter field/],
        [{ action: 'cancel', filter: { all: true, state: 'failed' } }, /filter.all is not a filter field/],
        [{ action: 'cancel', filter: { queue: 'a\u0000b' } }, /filter.queue must be/],
        [{ action: 'cancel', filter: { batchId: 'not-a-uuid' } }, /filter.batchId must be/],
      ];
      const bystanders = await queue.enqueueMany(
        [1, 2].map((n) => ({ jobType: 'note', payload: { text: `bystander ${n}` }, options: LATER })),
      );
      for (const [body, message] of cases) {
        const response = await client.post('/actions/jobs', body);
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(response.body)).toMatch(message);
      }
      for (const job of bystanders) expect((await queue.getJob(job.id))!.status).toBe('pending');
    });

    it('answers values Postgres cannot take with 400, and a cursor of the wrong shape with the first page', async () => {
      expect((await client.post('/actions/pauses', { kind: 'queue', value: 'a\u0000b', paused: true })).status).toBe(400);
      expect((await client.post('/actions/cron/a%00b/run', {})).status).toBe(400);
      // Pages keep their lenient reading (a stale bookmark still opens): a cursor whose parts have the wrong types is ignored.
      expect((await client.page('/batches?cursor=eyJpZCI6IjEwMDAwMDAwMDAwMDAwMDAwMDAwIn0')).status).toBe(200);
      expect((await client.page(`/jobs?cursor=${Buffer.from('{"id":"10000000000000000000"}').toString('base64url')}`)).status).toBe(200);
    });

    it('acts on every job only when the filter says { all: true }', async () => {
      const own = await createDashboardApp({ platform, providers: [NoteHandler] });
      try {
        const ownClient = await new DashboardClient(own.baseUrl).session();
        const jobs = await own.queue.enqueueMany([1, 2, 3].map((n) => ({ jobType: 'note', payload: { text: `${n}` }, options: LATER })));
        expect((await ownClient.post('/actions/jobs', { action: 'cancel', filter: {} })).status).toBe(400);
        for (const job of jobs) expect((await own.queue.getJob(job.id))!.status).toBe('pending');
        expect(await ownClient.post('/actions/jobs', { action: 'cancel', filter: { all: true } })).toEqual({
          status: 200,
          body: { affected: 3, errors: [], next: null },
        });
        for (const job of jobs) expect((await own.queue.getJob(job.id))!.status).toBe('cancelled');
        // The page's toolbar sends exactly that when no filter is chosen.
        expect((await ownClient.page('/jobs')).html).toContain('data-filter="{&quot;all&quot;:true}"');
      } finally {
        await own.close();
      }
    });
  });

  describe('batch actions', () => {
    it('retries the discarded jobs of a batch, which then succeeds', async () => {
      const batch = await queue.createBatch({ description: 'retry me' });
      const [ok, flaky] = await batch.enqueue([
        { jobType: 'note', payload: { text: 'fine' } },
        { jobType: 'flaky', payload: {} },
      ]);
      const discarded = await waitForBatchFinished(queue, batch.id);
      expect(discarded.counts).toEqual({ total: 2, pending: 0, succeeded: 1, discarded: 1 });

      const response = await client.post<{ batch: { id: string; finishedAt: string | null } }>(`/actions/batches/${batch.id}/retry`, {});
      expect(response.status).toBe(200);
      expect(response.body.batch).toMatchObject({ id: batch.id, finishedAt: null });

      const finished = await waitForBatchFinished(queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 2, discarded: 0 });
      expect((await queue.getJob(flaky.id))!.status).toBe('completed');
      expect((await queue.getJob(ok.id))!.attempts).toBe(1);
    });

    it('cancels every unfinished job of a batch, which finishes it', async () => {
      const batch = await queue.createBatch({ description: 'cancel me' });
      const jobs = await batch.enqueue([1, 2].map((n) => ({ jobType: 'note', payload: { text: `wait ${n}` }, options: LATER })));
      const response = await client.post<{ batch: { id: string; counts: object; finishedAt: string | null } }>(
        `/actions/batches/${batch.id}/cancel`,
        {},
      );
      expect(response.status).toBe(200);
      expect(response.body.batch.id).toBe(batch.id);
      for (const job of jobs) expect((await queue.getJob(job.id))!.status).toBe('cancelled');
      const finished = await waitForBatchFinished(queue, batch.id);
      expect(finished.counts).toEqual({ total: 2, pending: 0, succeeded: 0, discarded: 2 });
      const page = await client.page(`/batches/${batch.id}`);
      expect(page.html).toContain('class="badge batch-discarded"');
    });

    it('answers an unknown batch or action with 400', async () => {
      const unknown = await client.post(`/actions/batches/${randomUUID()}/retry`, {});
      expect(unknown.status).toBe(400);
      const batch = await queue.createBatch();
      expect((await client.post(`/actions/batches/${batch.id}/explode`, {})).status).toBe(400);
    });
  });

  describe('pausing a queue', () => {
    it('holds its jobs pending while paused (other queues run), and runs them once resumed', async () => {
      const paused = uniqueQueue('pausable');
      expect(await client.post('/actions/pauses', { kind: 'queue', value: paused, paused: true })).toEqual({
        status: 200,
        body: { ok: true },
      });

      const held = await queue.enqueue('note', { text: 'held' }, { queue: paused });
      const canary = await queue.enqueue('note', { text: 'canary' });
      await waitForStatus(queue, canary.id, 'completed');
      expect((await queue.getJob(held.id))!.status).toBe('pending');

      const queuesPage = (await client.page('/queues')).html;
      const row = new RegExp(`<tr data-testid="queue-row" data-queue="${paused}">[\\s\\S]*?</tr>`).exec(queuesPage)?.[0];
      expect(row).toBeDefined();
      expect(row).toContain('class="badge paused"');
      expect(row).toContain('data-testid="queue-resume"');
      expect(queuesPage).toMatch(new RegExp(`data-testid="pause-row">\\s*<td>Queue</td>\\s*<td class="mono">${paused}</td>`));

      expect(await client.post('/actions/pauses', { kind: 'queue', value: paused, paused: false })).toEqual({
        status: 200,
        body: { ok: true },
      });
      await waitForStatus(queue, held.id, 'completed');
      expect((await queue.listPauses()).map((pause) => pause.value)).not.toContain(paused);
    });

    it('offers a pause button for each active queue', async () => {
      const active = uniqueQueue('active');
      await queue.enqueue('note', { text: 'waiting' }, { queue: active, delayMs: 3_600_000 });
      const { html } = await client.page('/queues');
      const row = new RegExp(`<tr data-testid="queue-row" data-queue="${active}">[\\s\\S]*?</tr>`).exec(html)?.[0];
      expect(row).toContain('data-testid="queue-pause"');
      expect(row).not.toContain('class="badge paused"');
    });

    it('rejects a malformed pause with 400', async () => {
      for (const body of [
        { kind: 'host', value: 'x', paused: true },
        { kind: 'queue', value: '', paused: true },
        { kind: 'queue', value: 'x', paused: 'yes' },
      ]) {
        expect({ body, status: (await client.post('/actions/pauses', body)).status }).toEqual({ body, status: 400 });
      }
    });
  });

  describe('locale', () => {
    const expectLocale = (html: string, locale: LocaleCode) => {
      expect(langOf(html)).toBe(locale);
      expect(titleOf(html)).toBe(`${escapeHtml(translated(locale, 'jobs.title'))} · DataQueue`);
      expect(html).toContain(`<h1>${escapeHtml(translated(locale, 'jobs.title'))}</h1>`);
    };

    it('follows ?locale=, and keeps it in the links it renders', async () => {
      const { html } = await client.page('/jobs?locale=ko');
      expectLocale(html, 'ko');
      expect(html).toContain('href="/queue/batches?locale=ko"');
      expect(html).toMatch(/<summary>.*한국어<\/summary>/);
    });

    it("follows the browser's Accept-Language (best supported match)", async () => {
      expectLocale((await client.page('/jobs', { 'accept-language': 'ja' })).html, 'ja');
      expectLocale((await client.page('/jobs', { 'accept-language': 'sv;q=1, pt-PT;q=0.9, en;q=0.5' })).html, 'pt-BR');
      expectLocale((await client.page('/jobs', { 'accept-language': 'zh-Hans-CN, zh;q=0.9' })).html, 'zh-CN');
    });

    it('prefers ?locale= over Accept-Language', async () => {
      expectLocale((await client.page('/jobs?locale=ko', { 'accept-language': 'ja' })).html, 'ko');
    });

    it('offers every locale in the switcher, each link keeping the page and its filters', async () => {
      const { html } = await client.page('/jobs?state=pending');
      const switcher = /<details class="menu" data-testid="locale-switcher">[\s\S]*?<\/details>/.exec(html)![0];
      const links = [...switcher.matchAll(/href="([^"]*)"\s+hreflang="([^"]*)"/g)].map((m) => [m[1].replace(/&amp;/g, '&'), m[2]]);
      expect(links.map(([, code]) => code)).toEqual(['en', 'zh-CN', 'ko', 'ja', 'de', 'fr', 'es', 'pt-BR']);
      for (const [href, code] of links) expect(href).toBe(`/queue/jobs?state=pending&locale=${code}`);
    });

    describe("with the module's locale option (de)", () => {
      let german: DashboardApp;
      let visitor: DashboardClient;

      beforeAll(async () => {
        german = await createDashboardApp({
          platform,
          dashboard: { public: true, locale: 'de', title: 'Ops & Jobs' },
          options: { mode: 'external' },
        });
        visitor = new DashboardClient(german.baseUrl);
      });

      afterAll(async () => {
        await german?.close();
      });

      it('uses it when neither ?locale= nor Accept-Language picks a supported locale', async () => {
        const { html } = await visitor.page('/jobs', { 'accept-language': 'sv, fi;q=0.8' });
        expect(langOf(html)).toBe('de');
        expect(titleOf(html)).toBe(`${escapeHtml(translated('de', 'jobs.title'))} · Ops &amp; Jobs`);
        expect(langOf((await visitor.page('/jobs')).html)).toBe('de');
      });

      it('gives way to Accept-Language, which gives way to ?locale=', async () => {
        expect(langOf((await visitor.page('/jobs', { 'accept-language': 'ja' })).html)).toBe('ja');
        expect(langOf((await visitor.page('/jobs?locale=ko', { 'accept-language': 'ja' })).html)).toBe('ko');
        expect(langOf((await visitor.page('/jobs?locale=xx', { 'accept-language': 'ja' })).html)).toBe('ja');
      });
    });
  });

  describe('the overview', () => {
    let counted: DashboardApp;

    beforeAll(async () => {
      counted = await createDashboardApp({ platform, providers: HANDLERS, options: { pollIntervalMs: 50 } });
    });

    afterAll(async () => {
      gates.open(`overview-${platform}`);
      await counted?.close();
    });

    it('counts the jobs in every state as they really are', async () => {
      const q = counted.queue;
      await q.enqueueMany([1, 2, 3].map((n) => ({ jobType: 'note', payload: { text: `pending ${n}` }, options: LATER })));
      const completed = await q.enqueueMany([1, 2].map((n) => ({ jobType: 'note', payload: { text: `done ${n}` } })));
      const failed = await q.enqueue('doomed', {});
      const retrying = await q.enqueue('patient', {});
      const cancelled = await q.enqueue('note', { text: 'cancelled' }, LATER);
      await q.cancelJob(cancelled.id);
      const running = await q.enqueue('hold', { gate: `overview-${platform}` }, { queue: 'slow' });
      for (const job of completed) await waitForStatus(q, job.id, 'completed');
      await waitForFinalFailure(q, failed.id);
      await waitForJob(q, retrying.id, (job) => job.status === 'failed' && job.nextAttemptAt !== null, 'the patient job to be retrying');
      await waitForStatus(q, running.id, 'processing');

      const expected = { pending: 3, processing: 1, retrying: 1, waiting: 0, failed: 1, cancelled: 1, completed: 2 };
      const reality: Record<string, number> = { pending: 0, processing: 0, retrying: 0, waiting: 0, failed: 0, cancelled: 0, completed: 0 };
      for (const job of await allJobs(q)) reality[stateOf(job)]++;
      expect(reality).toEqual(expected);

      const { status, html } = await new DashboardClient(counted.baseUrl).page('');
      expect(status).toBe(200);
      const shown = Object.fromEntries(Object.keys(expected).map((state) => [state, cardValueOf(html, `count-${state}`)]));
      expect(shown).toEqual(expected);
      expect(cardValueOf(html, 'workers-alive')).toBeGreaterThanOrEqual(1);
      expect(testIdsIn(html)).toContain('throughput-chart');
      // Jobs by queue: the busy queues with their own counts.
      expect(html).toMatch(
        /<a href="\/queue\/jobs\?queue=slow">slow<\/a><\/td>\s*<td class="num"><a[^>]*>0<\/a><\/td>\s*<td class="num"><a[^>]*>1<\/a><\/td>/,
      );
    });
  });
});
