import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataQueueDashboardModule, DataQueueModule, JobHandler, QueueService } from '@dataqueue/nestjs';
import type { CronEntryDefinition, DataQueueDashboardOptions } from '@dataqueue/nestjs';
import { translated } from './support/dashboard-locales.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

const NIGHTLY: CronEntryDefinition = { key: 'nightly', schedule: '0 3 * * *', jobType: 'x', payload: {} };

@JobHandler('x')
class XHandler {
  handle(): void {}
}

interface CronDashboard {
  app: INestApplication;
  queue: QueueService;
  baseUrl: string;
  close(): Promise<void>;
}

/** DataQueue with the nightly entry, the 'x' handler and the dashboard at /queue, on 127.0.0.1:<ephemeral>. */
async function boot(dashboard: DataQueueDashboardOptions): Promise<CronDashboard> {
  const schema = uniqueSchema('dcron');
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DataQueueModule.forRoot({ url: databaseUrl(), schema, pollIntervalMs: 200, shutdownTimeoutMs: 500, cron: [NIGHTLY] }),
        DataQueueDashboardModule.forRoot(dashboard),
      ],
      providers: [XHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    app.useLogger(process.env.TEST_LOG ? ['fatal', 'error', 'warn', 'log'] : false);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app?.close().catch(() => undefined);
    await dropSchema(schema).catch(() => undefined);
    throw error;
  }
  const booted = app;
  const { port } = booted.getHttpServer().address() as AddressInfo;
  return {
    app: booted,
    queue: booted.get(QueueService),
    baseUrl: `http://127.0.0.1:${port}/queue`,
    async close() {
      await booted.close();
      await dropSchema(schema);
    },
  };
}

/** A page GET that keeps the CSRF cookie and token, and action POSTs that send them back. */
class Client {
  cookie = '';
  token = '';

  constructor(private readonly baseUrl: string) {}

  async page(path: string): Promise<{ status: number; html: string }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.cookie ? { cookie: this.cookie } : {} });
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('dataqueue_csrf='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const html = await response.text();
    this.token = /<meta name="dataqueue-csrf" content="([^"]*)">/.exec(html)?.[1] ?? this.token;
    return { status: response.status, html };
  }

  async post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-dataqueue-csrf': this.token,
        cookie: this.cookie,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }
}

/** The `<tr data-testid="cron-row">` of an entry, or null. */
function cronRowOf(html: string, key: string): string | null {
  return new RegExp(`<tr data-testid="cron-row" data-cron-key="${key}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? null;
}

function testIdsIn(html: string): string[] {
  return [...html.matchAll(/data-testid="([^"]+)"/g)].map((match) => match[1]);
}

describe('dashboard: cron page', () => {
  describe('with actions', () => {
    let dash: CronDashboard;
    let client: Client;

    beforeAll(async () => {
      dash = await boot({ public: true });
      client = new Client(dash.baseUrl);
    });

    afterAll(async () => {
      await dash?.close();
    });

    it('lists the entry with its schedule, job type and next run, and links the page from the navigation', async () => {
      const page = await client.page('/cron');
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<a href="/queue/cron" aria-current="page">${translated('en', 'nav.cron')}</a>`);
      const row = cronRowOf(page.html, 'nightly');
      expect(row).not.toBeNull();
      expect(row).toContain('0 3 * * *');
      expect(row).toContain('UTC');
      expect(row).toContain('>x<');
      expect(row).toContain(translated('en', 'cron.enabled'));
      expect(testIdsIn(row!)).toEqual(expect.arrayContaining(['cron-disable', 'cron-run']));
      expect(testIdsIn(row!)).not.toContain('cron-enable');
      expect(row).toContain('data-action="/queue/actions/cron/nightly/disable"');
      const [entry] = await dash.queue.listCron();
      expect(row).toContain(`(${translated('en', 'cron.inDuration', { duration: '' }).trim()}`);
      expect(entry.nextRunAt).not.toBeNull();
    });

    it('disables the entry, then offers to enable it', async () => {
      await client.page('/cron');
      expect(client.cookie).toMatch(/^dataqueue_csrf=[0-9a-f]{64}$/);
      expect(await client.post('/actions/cron/nightly/disable')).toEqual({ status: 200, body: { ok: true } });

      expect(await dash.queue.listCron()).toEqual([expect.objectContaining({ key: 'nightly', enabled: false, nextRunAt: null })]);
      const row = cronRowOf((await client.page('/cron')).html, 'nightly')!;
      expect(testIdsIn(row)).toEqual(expect.arrayContaining(['cron-enable', 'cron-run']));
      expect(testIdsIn(row)).not.toContain('cron-disable');
      expect(row).toContain(translated('en', 'cron.disabled'));

      expect(await client.post('/actions/cron/nightly/enable')).toEqual({ status: 200, body: { ok: true } });
      expect((await dash.queue.listCron())[0].enabled).toBe(true);
    });

    it('runs the entry now: a job with its cron key exists', async () => {
      await client.page('/cron');
      expect(await client.post('/actions/cron/nightly/run')).toEqual({ status: 200, body: { ok: true } });
      const { jobs } = await dash.queue.listJobs({ jobType: 'x', limit: 100 });
      expect(jobs.filter((job) => job.cronKey === 'nightly')).toHaveLength(1);
    });

    it('answers 400 for an unknown entry or action', async () => {
      await client.page('/cron');
      expect((await client.post('/actions/cron/missing/run')).status).toBe(400);
      expect((await client.post('/actions/cron/nightly/explode')).status).toBe(400);
    });

    describe('runtime entries', () => {
      /** What the page's form sends: text fields, payload and options as JSON text. */
      const form = (fields: Record<string, string>) => ({ schedule: '0 4 * * *', jobType: 'x', ...fields });

      afterEach(async () => {
        for (const entry of await dash.queue.listCron()) if (entry.source === 'runtime') await dash.queue.removeCron(entry.key);
      });

      it('offers the form, creates an entry from it, shows its source and lets it be edited and deleted (code entries not)', async () => {
        const empty = await client.page('/cron');
        expect(testIdsIn(empty.html)).toContain('cron-create');
        expect(cronRowOf(empty.html, 'nightly')).toContain(translated('en', 'cron.source.code'));
        expect(testIdsIn(cronRowOf(empty.html, 'nightly')!)).not.toEqual(expect.arrayContaining(['cron-delete']));
        expect(testIdsIn(cronRowOf(empty.html, 'nightly')!)).not.toContain('cron-save');

        const created = await client.post('/actions/cron', form({ key: 'tenant-7', payload: '{"tenant": 7}', options: '{"priority": 3}' }));
        expect(created).toMatchObject({ status: 200, body: { entry: { key: 'tenant-7', source: 'runtime', payload: { tenant: 7 } } } });
        expect((await dash.queue.listCron()).find((entry) => entry.key === 'tenant-7')).toMatchObject({
          schedule: '0 4 * * *',
          timezone: 'UTC',
          options: { priority: 3 },
        });
        const row = cronRowOf((await client.page('/cron')).html, 'tenant-7')!;
        expect(row).toContain(translated('en', 'cron.source.runtime'));
        expect(testIdsIn(row)).toEqual(expect.arrayContaining(['cron-delete', 'cron-save', 'cron-disable', 'cron-run']));
        expect(row).toContain('data-action="/queue/actions/cron/tenant-7/delete"');
        expect(row).toContain('data-body="{&quot;key&quot;:&quot;tenant-7&quot;}"');

        const edited = await client.post('/actions/cron', form({ key: 'tenant-7', schedule: '30 5 * * *', timezone: 'Europe/Paris' }));
        expect(edited.status).toBe(200);
        expect((await dash.queue.listCron()).find((entry) => entry.key === 'tenant-7')).toMatchObject({
          schedule: '30 5 * * *',
          timezone: 'Europe/Paris',
          options: {},
        });

        expect(await client.post('/actions/cron/tenant-7/delete')).toEqual({ status: 200, body: { ok: true } });
        expect((await dash.queue.listCron()).map((entry) => entry.key)).toEqual(['nightly']);
        expect((await client.post('/actions/cron/tenant-7/delete')).status).toBe(400);
      });

      it.each<[string, unknown, string]>([
        ['a bad expression', form({ key: 'k', schedule: '61 * * * *' }), 'schedule is invalid'],
        ['an unknown time zone', form({ key: 'k', timezone: 'Mars/Olympus' }), 'timezone is invalid'],
        ['a payload that is not JSON', form({ key: 'k', payload: '{tenant: 7' }), 'payload must be JSON text'],
        ['a payload that is JSON but not text', { ...form({ key: 'k' }), payload: { tenant: 7 } }, 'payload must be JSON text'],
        ['a bad option', form({ key: 'k', options: '{"priority": 1.5}' }), 'options.priority is invalid'],
        ['an option a cron job cannot have', form({ key: 'k', options: '{"idempotencyKey": "a"}' }), 'options.idempotencyKey is invalid'],
        ['an unknown field', form({ key: 'k', enabled: 'false' }), 'enabled is not a field of a cron entry'],
        ['a missing key', form({}), 'key is invalid'],
        ['an unknown job type', form({ key: 'k', jobType: 'nobody' }), 'job type "nobody"'],
        ['a key declared in code', form({ key: 'nightly' }), 'is declared in code'],
        ['a body that is not an object', [1, 2], 'must be a JSON object'],
      ])('answers 400 naming the problem for %s, and stores nothing', async (_case, body, problem) => {
        await client.page('/cron');
        const { status, body: answer } = await client.post('/actions/cron', body);
        expect(status).toBe(400);
        expect((answer as { message: string }).message).toContain(problem);
        expect(await dash.queue.listCron()).toEqual([expect.objectContaining({ key: 'nightly', schedule: '0 3 * * *', source: 'code' })]);
      });

      it('refuses to delete an entry declared in code', async () => {
        await client.page('/cron');
        const { status, body } = await client.post('/actions/cron/nightly/delete');
        expect(status).toBe(400);
        expect((body as { message: string }).message).toContain('is declared in code');
        expect(await dash.queue.listCron()).toHaveLength(1);
      });

      it('refuses a create without the CSRF token, or from another site, with 403', async () => {
        await client.page('/cron');
        expect((await client.post('/actions/cron', form({ key: 'forged' }), { 'x-dataqueue-csrf': '' })).status).toBe(403);
        expect((await client.post('/actions/cron', form({ key: 'forged' }), { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
        expect((await client.post('/actions/cron/nightly/delete', {}, { 'x-dataqueue-csrf': 'f'.repeat(64) })).status).toBe(403);
        expect((await dash.queue.listCron()).map((entry) => entry.key)).toEqual(['nightly']);
      });

      it('renders what an operator typed as text, in the table and in the edit form', async () => {
        const hostile = '</textarea><script>alert(1)</script>';
        await client.page('/cron');
        expect((await client.post('/actions/cron', form({ key: 'hostile', payload: JSON.stringify({ note: hostile }) }))).status).toBe(200);
        const { html } = await client.page('/cron');
        expect(html).not.toContain('<script>alert(1)');
        expect(html).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
      });
    });

    it('speaks the requested locale', async () => {
      const page = await client.page('/cron?locale=ja');
      expect(page.html).toContain('<html lang="ja">');
      expect(page.html).toContain(`${translated('ja', 'nav.cron')}</a>`);
      expect(translated('ja', 'nav.cron')).not.toBe(translated('en', 'nav.cron'));
      expect(page.html).toContain(translated('ja', 'cron.title'));
    });
  });

  describe('read-only', () => {
    let dash: CronDashboard;
    let client: Client;

    beforeAll(async () => {
      dash = await boot({ public: true, readOnly: true });
      client = new Client(dash.baseUrl);
    });

    afterAll(async () => {
      await dash?.close();
    });

    it('shows the entry without buttons and refuses the actions with 403', async () => {
      const page = await client.page('/cron');
      expect(page.status).toBe(200);
      const row = cronRowOf(page.html, 'nightly');
      expect(row).not.toBeNull();
      expect(testIdsIn(page.html).filter((id) => id.startsWith('cron-') && id !== 'cron-row')).toEqual([]);

      expect((await client.post('/actions/cron', { key: 'k', schedule: '0 4 * * *', jobType: 'x' })).status).toBe(403);
      for (const action of ['disable', 'enable', 'run', 'delete']) {
        expect({ action, status: (await client.post(`/actions/cron/nightly/${action}`)).status }).toEqual({ action, status: 403 });
      }
      expect((await dash.queue.listCron())[0].enabled).toBe(true);
      expect((await dash.queue.listJobs({ jobType: 'x' })).jobs).toEqual([]);
    });
  });
});
