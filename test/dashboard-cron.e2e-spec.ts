import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

  async post(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-dataqueue-csrf': this.token, cookie: this.cookie },
      body: '{}',
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

      for (const action of ['disable', 'enable', 'run']) {
        expect({ action, status: (await client.post(`/actions/cron/nightly/${action}`)).status }).toEqual({ action, status: 403 });
      }
      expect((await dash.queue.listCron())[0].enabled).toBe(true);
      expect((await dash.queue.listJobs({ jobType: 'x' })).jobs).toEqual([]);
    });
  });
});
