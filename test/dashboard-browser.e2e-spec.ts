import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { QueueService } from '@dataqueue/nestjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitForBatch, waitForBatchFinished } from './support/batches.js';
import { launchChromium } from './support/chromium.js';
import { createDashboardApp, type DashboardApp } from './support/dashboard-app.js';
import { translated } from './support/dashboard-locales.js';
import { waitForFinalFailure, waitForStatus } from './support/test-app.js';
import { NoteHandler, FlakyHandler } from './fixtures/dashboard-handlers.js';

const SCREENSHOTS = fileURLToPath(new URL('./artifacts/screenshots/', import.meta.url));
/** Far in the future: the job stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };
/** Would set `window.__xss` if the dashboard let it run. */
const XSS_PAYLOAD = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';

describe('the dashboard in a browser', () => {
  let dash: DashboardApp;
  let queue: QueueService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Messages of the confirm() dialogs the page opened (each accepted). */
  const dialogs: string[] = [];
  /** Uncaught errors of the dashboard's script. */
  const pageErrors: string[] = [];

  const open = async (path: string) => {
    const response = await page.goto(`${dash.baseUrl}${path}`);
    expect(response?.status()).toBe(200);
  };
  const screenshot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  /** Clicks a control whose action ends in a reload, and waits for the reloaded page. */
  const clickAndWaitForReload = async (selector: string) => {
    const reloaded = page.waitForEvent('load');
    await page.click(selector);
    await reloaded;
  };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dash = await createDashboardApp({ providers: [NoteHandler, FlakyHandler], options: { pollIntervalMs: 50 } });
    queue = dash.queue;
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'en-US', colorScheme: 'light', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await dash?.close();
  });

  it('shows the jobs list in Simplified Chinese (zh-CN)', async () => {
    const jobs = await queue.enqueueMany(
      [1, 2, 3].map((n) => ({ jobType: 'note', payload: { text: `列表 ${n}` }, options: { ...LATER, tags: ['zh'] } })),
    );
    await open('/jobs?locale=zh-CN');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('main h1')).toBe(translated('zh-CN', 'jobs.title'));
    expect(await page.title()).toBe(`${translated('zh-CN', 'jobs.title')} · DataQueue`);
    expect(await page.locator('nav.main-nav a').allTextContents()).toEqual(
      expect.arrayContaining(
        (['nav.overview', 'nav.jobs', 'nav.batches', 'nav.queues', 'nav.workers'] as const).map((key) => translated('zh-CN', key)),
      ),
    );
    expect(await page.textContent('nav.main-nav a[aria-current="page"]')).toBe(translated('zh-CN', 'nav.jobs'));
    for (const job of jobs) {
      const row = page.locator(`[data-testid="job-row"][data-job-id="${job.id}"]`);
      expect(await row.locator('.badge').textContent()).toBe(translated('zh-CN', 'state.pending'));
    }
    expect(await page.textContent('[data-testid="locale-switcher"] summary')).toContain('简体中文');
    await screenshot('jobs-zh-CN');
  });

  it('shows a job page and its batch page in Korean, rendering a <script> payload as text', async () => {
    const batch = await queue.createBatch({ description: '야간 보고서 <b>bold</b>', properties: { day: '2025-01-05' } });
    const [job] = await batch.add([{ jobType: 'note', payload: { html: XSS_PAYLOAD }, options: { ...LATER, tags: [XSS_PAYLOAD] } }]);

    await open(`/jobs/${job.id}?locale=ko`);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await page.textContent('main h1')).toBe(translated('ko', 'job.title', { id: job.id }));
    expect(await page.textContent('[data-testid="job-state"]')).toBe(translated('ko', 'state.pending'));
    expect(await page.textContent('[data-testid="payload"]')).toBe(JSON.stringify({ html: XSS_PAYLOAD }, null, 2));
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    await screenshot('job-ko');

    await page.click(`main a[href^="/queue/batches/${batch.id}"]`);
    await page.waitForURL(`${dash.baseUrl}/batches/${batch.id}?locale=ko`);
    expect(await page.textContent('main h1')).toBe(translated('ko', 'batch.title', { id: batch.id }));
    expect(await page.textContent('.page-head .subtitle')).toBe('야간 보고서 <b>bold</b>');
    const attributes = JSON.parse((await page.textContent('[data-testid="batch-attributes"]'))!);
    expect(attributes).toMatchObject({ id: batch.id, description: '야간 보고서 <b>bold</b>', properties: { day: '2025-01-05' } });
    expect(await page.locator(`[data-testid="job-row"][data-job-id="${job.id}"]`).count()).toBe(1);
    expect(await page.locator('main b, main script, main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    await screenshot('batch-ko');
  });

  it('retries a failed job from its page; the job runs again and completes', async () => {
    const job = await queue.enqueue('flaky', {});
    await waitForFinalFailure(queue, job.id);
    await open(`/jobs/${job.id}`);
    expect(await page.textContent('[data-testid="job-state"]')).toBe(translated('en', 'state.failed'));
    await screenshot('job-failed');

    await clickAndWaitForReload('[data-testid="action-retry"]');
    expect(await page.locator('#dataqueue-flash').textContent()).toBe(translated('en', 'client.affected', { count: 1 }));
    await waitForStatus(queue, job.id, 'completed');

    await page.reload();
    expect(await page.textContent('[data-testid="job-state"]')).toBe(translated('en', 'state.completed'));
    expect(JSON.parse((await page.textContent('[data-testid="output"]'))!)).toEqual({ ok: true });
    expect(await page.locator('[data-testid="action-retry"]').count()).toBe(0);
    await screenshot('job-retried');
  });

  it('shows a flow page in Simplified Chinese (zh-CN): a click on a node opens its job, a step retry reruns the failed step', async () => {
    const flow = await queue
      .createFlow({ description: '夜间报表' })
      .step('fetch', 'note', { text: 'fetch' })
      .step('parse', 'flaky', {}, { after: ['fetch'] })
      .step('report', 'note', { text: 'report' }, { after: ['parse'] })
      .run();
    await waitForBatchFinished(queue, flow.id);
    const node = (name: string) => `[data-testid="flow-node"][data-job-id="${flow.steps[name].id}"]`;
    const stateOfNode = (name: string) => page.getAttribute(node(name), 'data-state');

    await open(`/flows/${flow.id}?locale=zh-CN`);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('main h1')).toBe(translated('zh-CN', 'flow.title', { id: flow.id }));
    expect(await page.title()).toBe(`${translated('zh-CN', 'flow.title', { id: flow.id })} · DataQueue`);
    expect(await page.textContent('#graph')).toBe(translated('zh-CN', 'flow.graph'));
    expect(await page.locator('[data-testid="flow-node"]').count()).toBe(3);
    expect([await stateOfNode('fetch'), await stateOfNode('parse'), await stateOfNode('report')]).toEqual([
      'completed',
      'failed',
      'cancelled',
    ]);
    const row = (name: string) => page.locator(`[data-testid="step-row"][data-job-id="${flow.steps[name].id}"]`);
    expect(await row('parse').locator('.badge').textContent()).toBe(translated('zh-CN', 'state.failed'));
    // The node wears its state's tone: the failed badge's colours.
    type Colours = { fill: string; stroke: string; backgroundColor: string; color: string };
    const style = (selector: string) =>
      page.$eval(selector, (element) => {
        const { fill, stroke, backgroundColor, color } = (
          globalThis as unknown as { getComputedStyle(e: unknown): Colours }
        ).getComputedStyle(element);
        return { fill, stroke, backgroundColor, color };
      });
    const [rect, badge] = [await style(`${node('parse')} rect`), await style('.legend .state-failed')];
    expect({ fill: rect.fill, stroke: rect.stroke }).toEqual({ fill: badge.backgroundColor, stroke: badge.color });
    await screenshot('flow-zh-CN');

    await page.click(node('parse'));
    await page.waitForURL(`${dash.baseUrl}/jobs/${flow.steps.parse.id}?locale=zh-CN`);
    expect(await page.textContent('main h1')).toBe(translated('zh-CN', 'job.title', { id: flow.steps.parse.id }));
    await page.click('[data-testid="job-step"]');
    await page.waitForURL(`${dash.baseUrl}/flows/${flow.id}?locale=zh-CN`);

    await clickAndWaitForReload(`[data-testid="step-row"][data-job-id="${flow.steps.parse.id}"] [data-testid="step-retry"]`);
    expect(await page.locator('#dataqueue-flash').textContent()).toBe(translated('zh-CN', 'client.affected', { count: 1 }));
    await waitForBatch(queue, flow.id, (batch) => batch.counts.succeeded === 3);
    await page.reload();
    expect([await stateOfNode('fetch'), await stateOfNode('parse'), await stateOfNode('report')]).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(await page.locator('[data-testid="step-retry"]').count()).toBe(0);
    await screenshot('flow-zh-CN-retried');
  });

  it('switches between the light and the dark theme, and remembers the choice', async () => {
    await open('/');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await page.click('[data-testid="theme-toggle"]');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await screenshot('overview-dark');

    await page.reload();
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await page.click('[data-testid="theme-toggle"]');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    await screenshot('overview-light');
  });

  it('cancels two chosen pending jobs from the list with the bulk toolbar, after a confirmation', async () => {
    const q = `bulk-${Date.now()}`;
    const [first, second, untouched] = await queue.enqueueMany(
      ['first', 'second', 'untouched'].map((text) => ({ jobType: 'note', payload: { text }, options: { ...LATER, queue: q } })),
    );
    await open(`/jobs?queue=${q}`);
    expect(await page.locator('[data-testid="job-row"]').count()).toBe(3);
    await page.check(`input[data-row-select][value="${first.id}"]`);
    await page.check(`input[data-row-select][value="${second.id}"]`);
    expect(await page.textContent('[data-selection-count]')).toBe(translated('en', 'client.selected', { count: 2 }));
    await screenshot('jobs-selected');

    dialogs.length = 0;
    await clickAndWaitForReload('[data-testid="bulk-cancel"]');
    expect(dialogs).toEqual([translated('en', 'bulk.confirmCancel', { count: 2 })]);
    expect(await page.locator('#dataqueue-flash').textContent()).toBe(translated('en', 'client.affected', { count: 2 }));

    expect((await queue.getJob(first.id))!.status).toBe('cancelled');
    expect((await queue.getJob(second.id))!.status).toBe('cancelled');
    expect((await queue.getJob(untouched.id))!.status).toBe('pending');
    const badge = (id: string) => page.textContent(`[data-testid="job-row"][data-job-id="${id}"] .badge`);
    expect(await badge(first.id)).toBe(translated('en', 'state.cancelled'));
    expect(await badge(second.id)).toBe(translated('en', 'state.cancelled'));
    expect(await badge(untouched.id)).toBe(translated('en', 'state.pending'));
    await screenshot('jobs-bulk-cancelled');
  });
  it('creates a runtime cron entry with the Cron page form, says what is wrong with a bad one, edits it and deletes it after a confirmation', async () => {
    const entryOf = async () => (await queue.listCron()).find((entry) => entry.key === 'tenant-browser');
    await open('/cron');
    const create = page.locator('section[aria-labelledby="cron-create"] form');
    await create.locator('input[name="key"]').fill('tenant-browser');
    await create.locator('input[name="schedule"]').fill('0 61 * * *');
    await create.locator('input[name="timezone"]').fill('Asia/Tokyo');
    await create.locator('input[name="jobType"]').fill('note');
    await create.locator('textarea[name="payload"]').fill('{"text": "from the form"}');
    await page.click('[data-testid="cron-create"]');
    // A locator, not waitForFunction: a string predicate is eval'd in the page, which the CSP refuses.
    await page.locator('#dataqueue-flash', { hasText: 'schedule is invalid' }).waitFor();
    expect(await entryOf()).toBeUndefined();

    await create.locator('input[name="schedule"]').fill('0 6 * * *');
    await clickAndWaitForReload('[data-testid="cron-create"]');
    expect(await entryOf()).toMatchObject({
      source: 'runtime',
      schedule: '0 6 * * *',
      timezone: 'Asia/Tokyo',
      payload: { text: 'from the form' },
    });

    const row = page.locator('[data-testid="cron-row"][data-cron-key="tenant-browser"]');
    expect(await row.textContent()).toContain(translated('en', 'cron.source.runtime'));
    await row.locator('summary', { hasText: translated('en', 'cron.edit') }).click();
    await row.locator('input[name="schedule"]').fill('15 6 * * *');
    await screenshot('cron-edit');
    await clickAndWaitForReload('[data-cron-key="tenant-browser"] [data-testid="cron-save"]');
    expect(await entryOf()).toMatchObject({ schedule: '15 6 * * *', timezone: 'Asia/Tokyo', payload: { text: 'from the form' } });

    dialogs.length = 0;
    await clickAndWaitForReload('[data-cron-key="tenant-browser"] [data-testid="cron-delete"]');
    expect(dialogs).toEqual([translated('en', 'cron.confirmDelete', { key: 'tenant-browser' })]);
    expect(await entryOf()).toBeUndefined();
  });
});
