import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext, JobToEnqueue } from '@dataqueue/nestjs';
import { createDashboardApp, DashboardClient, escapeHtml, PLATFORMS, type DashboardApp, type Platform } from './support/dashboard-app.js';
import { translated, type LocaleCode } from './support/dashboard-locales.js';
import { Gates } from './support/gates.js';
import { waitForStatus } from './support/test-app.js';
import { NoteHandler } from './fixtures/dashboard-handlers.js';

const gates = new Gates();
/** Far in the future: the job stays pending, in its key's backlog. */
const LATER = { delayMs: 3_600_000 };
/** A tenant's key is tenant data: the page must show it as text. */
const XSS_KEY = '"><img src=x onerror=alert(1)>';

/** Runs until the test opens the payload's gate. */
@JobHandler('hold')
class HoldHandler {
  async handle(payload: { gate: string }, ctx: JobContext): Promise<void> {
    await gates.wait(payload.gate, ctx.signal);
  }
}

/** A queue name of its own for one test, so its jobs can be told from every other test's. */
function uniqueQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** `count` pending 'note' jobs of `queue` under `fairKey` (undefined: the default key). */
function backlog(queue: string, fairKey: string | undefined, count: number): JobToEnqueue[] {
  return Array.from({ length: count }, () => ({
    jobType: 'note',
    payload: {},
    options: { queue, ...LATER, ...(fairKey ? { fairKey } : {}) },
  }));
}

/**
 * The fair-keys lines of `queue` on a Queues page, each as its cells' text (tags dropped,
 * entities kept: key, backlog, running); null when the page has none for the queue.
 */
function fairKeyLinesOf(html: string, queue: string): string[][] | null {
  const body = new RegExp(`<tbody data-testid="fair-keys" data-queue="${queue}">([\\s\\S]*?)</tbody>`).exec(html)?.[1];
  if (body === undefined) return null;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, line]) =>
    [...line.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => cell.replace(/<[^>]+>/g, '').trim()),
  );
}

const tenant = (n: number) => `tenant-${String(n).padStart(4, '0')}`;

describe.each(PLATFORMS)('fair keys on the Queues page, on %s', (platform: Platform) => {
  let dash: DashboardApp;
  let client: DashboardClient;

  beforeAll(async () => {
    dash = await createDashboardApp({ platform, providers: [NoteHandler, HoldHandler], options: { pollIntervalMs: 50 } });
    client = await new DashboardClient(dash.baseUrl).session();
  });

  afterAll(async () => {
    gates.openAll();
    await dash?.close();
  });

  it('lists the 10 keys with the most backlog and their running jobs, the default key as "(no key)", the others summed', async () => {
    const queue = uniqueQueue('tenants');
    await dash.queue.enqueueMany([
      ...backlog(queue, XSS_KEY, 30),
      ...backlog(queue, undefined, 25),
      ...Array.from({ length: 12 }, (_, i) => backlog(queue, tenant(i + 1), i + 1)).flat(),
    ]);
    const gate = `run-${queue}`;
    const running = await dash.queue.enqueueMany(
      Array.from({ length: 2 }, () => ({ jobType: 'hold', payload: { gate }, options: { queue, fairKey: 'runner' } })),
    );
    for (const job of running) await waitForStatus(dash.queue, job.id, 'processing');

    const { html } = await client.page('/queues');
    // Ranked by backlog: the XSS key (30), the default key (25), tenants 12 down to 5; then
    // tenants 4 to 1 (10 jobs) and 'runner' (no backlog, 2 running) summed.
    expect(fairKeyLinesOf(html, queue)).toEqual([
      [escapeHtml(XSS_KEY), '30', '0'],
      ['(no key)', '25', '0'],
      ...[12, 11, 10, 9, 8, 7, 6, 5].map((n) => [tenant(n), String(n), '0']),
      ['Other keys (5)', '10', '2'],
    ]);
    expect(html).not.toContain('<img src=x');
    gates.open(gate);
  });

  it.each<LocaleCode>(['ja', 'de', 'pt-BR'])('labels the default key and the other keys in the page locale (%s)', async (locale) => {
    const queue = uniqueQueue('localized');
    await dash.queue.enqueueMany([
      ...backlog(queue, undefined, 12),
      ...Array.from({ length: 11 }, (_, i) => backlog(queue, tenant(i), 1)).flat(),
    ]);
    const lines = fairKeyLinesOf((await client.page(`/queues?locale=${locale}`)).html, queue);
    expect(lines?.[0]).toEqual([escapeHtml(translated(locale, 'fairKeys.noKey')), '12', '0']);
    expect(lines?.at(-1)).toEqual([escapeHtml(translated(locale, 'fairKeys.more', { count: 2 })), '2', '0']);
  });

  it('stays at 10 lines and a sum for a queue with 1,000 keys', async () => {
    const queue = uniqueQueue('crowded');
    await dash.queue.enqueueMany(Array.from({ length: 1000 }, (_, i) => backlog(queue, tenant(i), 1)).flat());
    const lines = fairKeyLinesOf((await client.page('/queues')).html, queue);
    // Equal backlogs rank by key.
    expect(lines).toEqual([...Array.from({ length: 10 }, (_, i) => [tenant(i), '1', '0']), ['Other keys (990)', '990', '0']]);
  });

  it('shows nothing of it for a queue without keyed work, nor once its keyed work is over', async () => {
    const plain = uniqueQueue('plain');
    await dash.queue.enqueueMany(backlog(plain, undefined, 3));
    const keyed = uniqueQueue('finished');
    const job = await dash.queue.enqueue('note', {}, { queue: keyed, fairKey: 'acme' });
    await waitForStatus(dash.queue, job.id, 'completed');
    const { html } = await client.page('/queues');
    expect(html).toContain(`data-queue="${plain}"`); // its line in the queues table
    expect(fairKeyLinesOf(html, plain)).toBeNull();
    expect(fairKeyLinesOf(html, keyed)).toBeNull();
  });
});

describe('fair keys on the Queues page of an app that never sets a key', () => {
  let dash: DashboardApp;

  beforeAll(async () => {
    dash = await createDashboardApp({ providers: [NoteHandler], options: { mode: 'external' } });
  });

  afterAll(async () => {
    await dash?.close();
  });

  it('has no fair-keys section', async () => {
    await dash.queue.enqueueMany(backlog('plain', undefined, 3));
    const { html } = await new DashboardClient(dash.baseUrl).page('/queues');
    expect(html).toContain('data-testid="queue-row" data-queue="plain"');
    expect(html).not.toContain(escapeHtml(translated('en', 'fairKeys.title')));
  });
});
