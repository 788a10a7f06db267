import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JobHandler } from '@dataqueue/nestjs';
import type { JobContext, QueueService } from '@dataqueue/nestjs';
import {
  createDashboardApp,
  dashboardAppsOf,
  DashboardClient,
  escapeHtml,
  PLATFORMS,
  unescapeHtml,
  type DashboardApp,
  type Platform,
} from './support/dashboard-app.js';
import { translated } from './support/dashboard-locales.js';
import { waitForFinalFailure, waitForStatus } from './support/test-app.js';

/** Far in the future: the job stays pending, its payload on show. */
const LATER = { delayMs: 3_600_000 };
/**
 * What a job or batch page may weigh whatever it holds: two JSON blocks cut at 64,000
 * characters, errors cut at 8,000, and the rest of the page. Uncut, the cases below make pages
 * of 0.6 to 5 MB.
 */
const PAGE_BOUND = 300_000;
/** The characters of a JSON block a page shows before cutting it. */
const JSON_BLOCK_CHARS = 64_000;
const XSS = '</script><script>alert(1)</script>';

@JobHandler('note')
class NoteHandler {
  async handle(): Promise<void> {}
}

/** Returns an output of `size` characters. */
@JobHandler('bulky')
class BulkyHandler {
  async handle({ size }: { size: number }): Promise<{ blob: string }> {
    return { blob: 'o'.repeat(size) };
  }
}

/** Fails for good with a message of `size` characters (which its stack repeats). */
@JobHandler('explode', { maxAttempts: 1 })
class ExplodeHandler {
  async handle({ size }: { size: number }): Promise<never> {
    throw new Error('boom '.padEnd(size, 'e'));
  }
}

/** Fails each of its 12 attempts, retrying at once. */
@JobHandler('relentless', { maxAttempts: 12, backoff: { baseMs: 0, jitter: 0 } })
class RelentlessHandler {
  async handle(_payload: unknown, ctx: JobContext): Promise<never> {
    throw new Error(`relentless failure #${ctx.job.attempts}`);
  }
}

const HANDLERS = [NoteHandler, BulkyHandler, ExplodeHandler, RelentlessHandler];

/** Lets a request in when it carries `x-dashboard-role: admin`. */
@Injectable()
class AdminHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-dashboard-role'] === 'admin';
  }
}

interface Notice {
  text: string;
  href: string;
}

/** The page's truncation notices: their text and the raw JSON each links to. */
function noticesIn(html: string): Notice[] {
  return [...html.matchAll(/<p class="muted" data-testid="truncated">([^<]*) <a href="([^"]*)" type="application\/json">/g)].map(
    (match) => ({
      text: unescapeHtml(match[1]),
      href: unescapeHtml(match[2]),
    }),
  );
}

/** The text of `<pre data-testid="…">`, unescaped. */
function preText(html: string, testId: string): string | null {
  const match = new RegExp(`<pre data-testid="${testId}">([^<]*)</pre>`).exec(html);
  return match ? unescapeHtml(match[1]) : null;
}

/**
 * Checks that `shown` is `expected`, comparing lengths and where they first differ: the texts
 * are tens of kilobytes, too long for a readable diff.
 */
function expectText(shown: string | null, expected: string): void {
  const firstDifference = (a: string, b: string) => [...a].findIndex((char, i) => char !== b[i]);
  expect({ length: shown?.length, firstDifference: shown === null ? null : firstDifference(shown, expected) }).toEqual({
    length: expected.length,
    firstDifference: -1,
  });
}

function bytes(text: string): number {
  return Buffer.byteLength(text);
}

/** `levels` objects nested one in the other, each with `fill`. */
function nested(levels: number, fill: (level: number) => Record<string, unknown>): Record<string, unknown> {
  let value: Record<string, unknown> = fill(levels - 1);
  for (let level = levels - 2; level >= 0; level--) value = { ...fill(level), next: value };
  return value;
}

describe.each(PLATFORMS)('dashboard pages within their size budget on %s', (platform: Platform) => {
  let dash: DashboardApp;
  let queue: QueueService;
  let client: DashboardClient;

  beforeAll(async () => {
    dash = await createDashboardApp({ platform, providers: HANDLERS, options: { pollIntervalMs: 50, maxPayloadBytes: 4 * 1024 * 1024 } });
    queue = dash.queue;
    client = await new DashboardClient(dash.baseUrl).session();
  });

  afterAll(async () => {
    await dash?.close();
  });

  /** GETs a path below the origin (a notice's href), as a browser following the link would. */
  const fetchRaw = (href: string, headers: Record<string, string> = {}) => fetch(`${dash.origin}${href}`, { headers, redirect: 'manual' });

  describe('job pages', () => {
    it('show a small payload and output whole, as pretty JSON, with no notice', async () => {
      const job = await queue.enqueue('bulky', { size: 12 });
      const done = await waitForStatus(queue, job.id, 'completed');
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(preText(html, 'payload')).toBe(JSON.stringify({ size: 12 }, null, 2));
      expect(preText(html, 'output')).toBe(JSON.stringify(done.output, null, 2));
      expect(noticesIn(html)).toEqual([]);
    });

    it('cut a 2 MB payload string to its first 64 kB, with a notice linking to payload.json, which holds all of it', async () => {
      const payload = { blob: 'p'.repeat(2_000_000) };
      const job = await queue.enqueue('note', payload, LATER);
      const { status, html } = await client.page(`/jobs/${job.id}`);
      expect(status).toBe(200);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      expectText(preText(html, 'payload'), `${JSON.stringify(payload, null, 2).slice(0, JSON_BLOCK_CHARS)}…`);
      const href = `/queue/jobs/${job.id}/payload.json`;
      expect(noticesIn(html)).toEqual([{ text: translated('en', 'truncated.shownOf', { shown: '64 kB', total: '2 MB' }), href }]);

      const raw = await fetchRaw(href);
      expect(raw.status).toBe(200);
      const body = await raw.text();
      expect(JSON.parse(body)).toEqual(payload);
      expect(bytes(body)).toBe(bytes(JSON.stringify(payload)));
    });

    it('translate the notice in the locale of the page', async () => {
      const job = await queue.enqueue('note', { blob: 'p'.repeat(2_000_000) }, LATER);
      const { html } = await client.page(`/jobs/${job.id}?locale=fr`);
      // French writes the units "ko" and "Mo", after a narrow no-break space.
      expect(noticesIn(html).map((notice) => notice.text)).toEqual([
        translated('fr', 'truncated.shownOf', { shown: '64\u202fko', total: '2\u202fMo' }),
      ]);
      expect(html).toContain(escapeHtml(translated('fr', 'truncated.openRaw')));
    });

    it('show a deeply nested payload whole in compact form when its indentation would not fit', async () => {
      // 60 levels down, 20,000 numbers: 40 kB compact, 2.5 MB indented two spaces a level.
      const payload = nested(60, (level) => (level === 59 ? { numbers: Array<number>(20_000).fill(0) } : {}));
      expect(bytes(JSON.stringify(payload))).toBeLessThan(JSON_BLOCK_CHARS);
      expect(bytes(JSON.stringify(payload, null, 2))).toBeGreaterThan(2_000_000);
      const job = await queue.enqueue('note', payload, LATER);
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      // As stored: jsonb has its own order of keys.
      expectText(preText(html, 'payload'), JSON.stringify((await queue.getJob(job.id))!.payload));
      expect(noticesIn(html)).toEqual([]);
    });

    it('cut a 64-level nested payload of long strings, and payload.json holds it whole', async () => {
      const payload = nested(64, (level) => ({ level, text: `${level}`.padEnd(10_000, '~') }));
      const job = await queue.enqueue('note', payload, LATER);
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      const stored = (await queue.getJob(job.id))!.payload;
      expectText(preText(html, 'payload'), `${JSON.stringify(stored, null, 2).slice(0, JSON_BLOCK_CHARS)}…`);
      const [notice] = noticesIn(html);
      expect(notice.href).toBe(`/queue/jobs/${job.id}/payload.json`);
      expect(JSON.parse(await (await fetchRaw(notice.href)).text())).toEqual(payload);
    });

    it('cut a 5 MB output the handler returned, and output.json returns all of it', async () => {
      const job = await queue.enqueue('bulky', { size: 5_000_000 });
      const done = await waitForStatus(queue, job.id, 'completed');
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      const href = `/queue/jobs/${job.id}/output.json`;
      expect(noticesIn(html)).toEqual([{ text: translated('en', 'truncated.shownOf', { shown: '64 kB', total: '5 MB' }), href }]);
      expect(JSON.parse(await (await fetchRaw(href)).text())).toEqual(done.output);
    });

    it('cut a huge error message and its stack in the attempts table and the timeline; errors.json holds them whole', async () => {
      const job = await queue.enqueue('explode', { size: 200_000 });
      const failed = await waitForFinalFailure(queue, job.id);
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      expect(html).not.toContain('e'.repeat(8_001));
      const href = `/queue/jobs/${job.id}/errors.json`;
      const text = translated('en', 'truncated.shownOf', { shown: '8 kB', total: '200 kB' });
      // The message, then the stack (which starts with "Error: " and the message, so is longer).
      expect(noticesIn(html)).toEqual([
        { text, href },
        { text: expect.stringContaining('8 kB'), href },
      ]);

      const errors = JSON.parse(await (await fetchRaw(href)).text()) as { message: string; stack: string }[];
      expect(errors).toEqual(failed.errorHistory);
      expect(errors[0].message).toHaveLength(200_000);
      expect(errors[0].stack).toContain(errors[0].message);
    });

    it('list only the latest 10 attempts of a job that failed 12 times, with a notice linking to errors.json', async () => {
      const job = await queue.enqueue('relentless', {});
      const failed = await waitForFinalFailure(queue, job.id, { timeoutMs: 20_000 });
      expect(failed.errorHistory).toHaveLength(12);
      const { html } = await client.page(`/jobs/${job.id}`);
      expect(noticesIn(html)).toEqual([
        { text: translated('en', 'truncated.latestAttempts', { shown: 10, total: 12 }), href: `/queue/jobs/${job.id}/errors.json` },
      ]);
      expect(html.match(/class="badge outcome-failed"/g)).toHaveLength(10);
      const [first, second, ...latest] = failed.errorHistory.map((entry) => entry.message);
      // Left out of the attempts table and the timeline alike.
      expect(html).not.toContain(`${first}<`);
      expect(html).not.toContain(`${second}<`);
      for (const message of latest) expect(html).toContain(`${message}<`);
    });
  });

  describe('batch pages', () => {
    it('cut large properties, and attributes.json returns every attribute whole', async () => {
      const properties = { blob: 'b'.repeat(300_000) };
      const batch = await queue.createBatch({ description: 'big properties', properties });
      const { html } = await client.page(`/batches/${batch.id}`);
      expect(bytes(html)).toBeLessThan(PAGE_BOUND);
      const href = `/queue/batches/${batch.id}/attributes.json`;
      expect(noticesIn(html)).toEqual([{ text: expect.stringMatching(/^Showing the first 64 kB of 300(\.\d)? kB\.$/), href }]);
      const attributes = JSON.parse(await (await fetchRaw(href)).text());
      expect(attributes).toMatchObject({ id: batch.id, description: 'big properties', properties });
      expect(attributes).not.toHaveProperty('counts');
    });
  });

  describe('jobs tables', () => {
    it('show at most 5 tags a row and how many more the job carries; its page lists them all', async () => {
      const q = `tags-${randomBytes(4).toString('hex')}`;
      const tags = Array.from({ length: 32 }, (_, i) => `tag-${i}-`.padEnd(128, 'x'));
      const job = await queue.enqueue('note', {}, { ...LATER, queue: q, tags });
      const list = (await client.page(`/jobs?queue=${q}`)).html;
      const shownTags = (html: string) => [...html.matchAll(/<a class="tag" href="[^"]*">([^<]*)<\/a>/g)].map((match) => match[1]);
      expect(shownTags(list)).toEqual(tags.slice(0, 5));
      expect(list).toContain(escapeHtml(translated('en', 'tags.more', { count: 27 })));
      expect(shownTags((await client.page(`/jobs/${job.id}`)).html)).toEqual(tags);
    });
  });

  describe('raw JSON', () => {
    it('is served as inline, uncached JSON a browser may not sniff as HTML, even when it holds markup', async () => {
      const payload = { text: XSS, nested: { html: `<img src=x onerror=alert(1)>${XSS}` } };
      const job = await queue.enqueue('bulky', { size: 1, note: XSS });
      await waitForStatus(queue, job.id, 'completed');
      const pending = await queue.enqueue('note', payload, LATER);
      const batch = await queue.createBatch({ description: XSS, properties: { note: XSS } });
      const urls = [
        `/queue/jobs/${pending.id}/payload.json`,
        `/queue/jobs/${job.id}/output.json`,
        `/queue/jobs/${job.id}/errors.json`,
        `/queue/batches/${batch.id}/attributes.json`,
      ];
      for (const url of urls) {
        const raw = await fetchRaw(url);
        expect({ url, status: raw.status }).toEqual({ url, status: 200 });
        expect(raw.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
        expect(raw.headers.get('content-disposition')).toBe('inline');
        expect(raw.headers.get('cache-control')).toBe('no-store');
        JSON.parse(await raw.text());
      }
      const body = await (await fetchRaw(urls[0])).text();
      expect(body).toContain(XSS);
      expect(JSON.parse(body)).toEqual(payload);
    });

    it('answers null for the output of a job that has none', async () => {
      const job = await queue.enqueue('note', {}, LATER);
      const raw = await fetchRaw(`/queue/jobs/${job.id}/output.json`);
      expect({ status: raw.status, body: await raw.text() }).toEqual({ status: 200, body: 'null' });
    });

    it('answers 404, never 500, for an unknown job or batch and for a malformed id', async () => {
      const paths = [
        '/jobs/999999999999/payload.json',
        '/jobs/999999999999/output.json',
        '/jobs/999999999999/errors.json',
        '/jobs/abc/payload.json',
        '/jobs/-1/output.json',
        '/jobs/1.5/errors.json',
        '/jobs/99999999999999999999999999/payload.json',
        '/jobs/1%27%3B%20DROP%20TABLE%20jobs/payload.json',
        '/jobs/%00/payload.json',
        `/batches/${randomUUID()}/attributes.json`,
        '/batches/not-a-uuid/attributes.json',
      ];
      for (const path of paths) {
        const response = await client.page(path);
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
      }
    });

    describe('access', () => {
      const boot = dashboardAppsOf(platform, HANDLERS);

      it('is closed by default, like the pages', async () => {
        const closed = await boot({});
        const job = await closed.queue.enqueue('note', { text: 'secret payload' }, LATER);
        const response = await new DashboardClient(closed.baseUrl).page(`/jobs/${job.id}/payload.json`);
        expect(response.status).toBe(403);
        expect(response.html).not.toContain('secret payload');
      });

      it("opens to the requests the host's guard lets in, also in read-only mode", async () => {
        const guarded = await boot({ guard: AdminHeaderGuard, readOnly: true });
        const job = await guarded.queue.enqueue('note', { text: 'guarded payload' }, LATER);
        const path = `/jobs/${job.id}/payload.json`;
        const refused = await new DashboardClient(guarded.baseUrl, { 'x-dashboard-role': 'visitor' }).page(path);
        expect(refused.status).toBe(403);
        expect(refused.html).not.toContain('guarded payload');
        const allowed = await new DashboardClient(guarded.baseUrl, { 'x-dashboard-role': 'admin' }).page(path);
        expect(allowed.status).toBe(200);
        expect(JSON.parse(allowed.html)).toEqual({ text: 'guarded payload' });
      });
    });
  });
});
