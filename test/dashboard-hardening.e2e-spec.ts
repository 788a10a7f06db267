import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DataQueueOptionsInvalidError, JobHandler } from '@dataqueue/nestjs';
import type { DataQueueDashboardOptions } from '@dataqueue/nestjs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/chromium.js';
import { waitFor } from './support/wait-for.js';
import {
  createDashboardApp,
  DashboardClient,
  langOf,
  PLATFORMS,
  testIdsIn,
  type DashboardApp,
  type Platform,
} from './support/dashboard-app.js';

/** What every dashboard response carries, exactly. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};
/** The public origin of a (pretend) reverse proxy that rewrites Host, listed in allowedOrigins. */
const PROXY_ORIGIN = 'https://admin.example.com';
const ADMIN = { 'x-dashboard-role': 'admin' };

/** Lets a request in when it carries `x-dashboard-role: admin`. */
@Injectable()
class AdminHeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-dashboard-role'] === 'admin';
  }
}

@JobHandler('note')
class NoteHandler {
  async handle(): Promise<void> {}
}

function securityHeadersOf(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(Object.keys(SECURITY_HEADERS).map((name) => [name, headers.get(name)]));
}

function csrfCookieOf(headers: Headers): string | undefined {
  return headers.getSetCookie().find((line) => line.startsWith('dataqueue_csrf='));
}

describe.each(PLATFORMS)('the hardened dashboard on %s', (platform: Platform) => {
  let dash: DashboardApp;
  let admin: DashboardClient;

  beforeAll(async () => {
    dash = await createDashboardApp({
      platform,
      dashboard: { guard: AdminHeaderGuard, allowedOrigins: [PROXY_ORIGIN] },
      options: { mode: 'external' },
    });
    admin = await new DashboardClient(dash.baseUrl, ADMIN).session();
  });

  afterAll(async () => {
    await dash?.close();
  });

  /** POSTs an action as the admin's browser would (CSRF pair included), plus `headers`. */
  const act = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${dash.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json', 'x-dataqueue-csrf': admin.token!, cookie: admin.cookie!, ...headers },
      body: JSON.stringify(body),
    });

  /** Asks the dashboard to pause a queue of its own; answers the status, message, and whether it got paused. */
  const pauseWith = async (headers: Record<string, string>) => {
    const queue = `hardening-${randomBytes(4).toString('hex')}`;
    const response = await act('/actions/pauses', { kind: 'queue', value: queue, paused: true }, headers);
    const { message } = (await response.json()) as { message?: string };
    const paused = (await dash.queue.listPauses()).some((pause) => pause.value === queue);
    return { status: response.status, message, paused };
  };

  describe('security headers', () => {
    it('come with every response: pages, error pages, assets and actions, from 200 to 403 and 404', async () => {
      const { html } = await admin.page('');
      const css = /href="\/queue\/assets\/([^"]+\.css)"/.exec(html)![1];
      const pause = { kind: 'queue', value: 'headers-check', paused: true };
      const responses: [string, () => Promise<Response>, number][] = [
        ['page', () => fetch(`${dash.baseUrl}/jobs`, { headers: ADMIN }), 200],
        ['page of an unknown job', () => fetch(`${dash.baseUrl}/jobs/999999999999`, { headers: ADMIN }), 404],
        ['page refused by the guard', () => fetch(`${dash.baseUrl}/jobs`), 403],
        ['asset', () => fetch(`${dash.baseUrl}/assets/${css}`), 200],
        ['unknown asset', () => fetch(`${dash.baseUrl}/assets/dashboard.000000000000.js`), 404],
        ['action', () => act('/actions/pauses', pause), 200],
        ['malformed action', () => act('/actions/pauses', { kind: 'nowhere' }), 400],
        ['action without CSRF token', () => act('/actions/pauses', pause, { 'x-dataqueue-csrf': '' }), 403],
        ['cross-site action', () => act('/actions/pauses', pause, { 'sec-fetch-site': 'cross-site' }), 403],
      ];
      for (const [what, request, status] of responses) {
        const response = await request();
        expect({ what, status: response.status, headers: securityHeadersOf(response.headers) }).toEqual({
          what,
          status,
          headers: SECURITY_HEADERS,
        });
      }
    });

    it("keeps the headers the host app set, adding its policy next to the host's (browsers enforce both)", async () => {
      const hostPolicy = "default-src 'self'; report-uri /csp-reports";
      const hosted = await createDashboardApp({
        platform,
        options: { mode: 'external' },
        beforeListen: (app) =>
          app.use((_request: unknown, response: ServerResponse, next: () => void) => {
            response.setHeader('Content-Security-Policy', hostPolicy);
            response.setHeader('Referrer-Policy', 'no-referrer');
            next();
          }),
      });
      try {
        const response = await fetch(`${hosted.baseUrl}/jobs`);
        expect(response.status).toBe(200);
        expect(securityHeadersOf(response.headers)).toEqual({
          ...SECURITY_HEADERS,
          'content-security-policy': `${hostPolicy}, ${SECURITY_HEADERS['content-security-policy']}`,
          'referrer-policy': 'no-referrer',
        });
      } finally {
        await hosted.close();
      }
    });
  });

  describe('origin check on actions', () => {
    it('accepts an action whose Sec-Fetch-Site is same-origin, whose Origin is its own, or that has neither (the CSRF pair decides)', async () => {
      const variants: Record<string, string>[] = [
        { 'sec-fetch-site': 'same-origin', origin: dash.origin },
        { 'sec-fetch-site': 'same-origin' },
        { origin: dash.origin },
        {},
      ];
      for (const headers of variants) {
        const { status, paused } = await pauseWith(headers);
        expect({ headers, status, paused }).toEqual({ headers, status: 200, paused: true });
      }
    });

    it('still requires the CSRF token when the headers say same-origin', async () => {
      const { status, message, paused } = await pauseWith({ 'sec-fetch-site': 'same-origin', origin: dash.origin, 'x-dataqueue-csrf': '' });
      expect({ status, paused }).toEqual({ status: 403, paused: false });
      expect(message).toContain('CSRF');
    });

    it('refuses any Sec-Fetch-Site but same-origin (none and same-site included) with 403 naming the header, whatever the Origin', async () => {
      for (const site of ['cross-site', 'same-site', 'none']) {
        const { status, message, paused } = await pauseWith({ 'sec-fetch-site': site, origin: dash.origin });
        expect({ site, status, paused }).toEqual({ site, status: 403, paused: false });
        expect(message).toContain(`Sec-Fetch-Site "${site}" refused`);
      }
    });

    it('refuses, without Sec-Fetch-Site, an Origin other than its own: another site, port, scheme or host name, or "null"', async () => {
      const { port } = new URL(dash.origin);
      for (const origin of [
        'https://evil.example',
        `http://127.0.0.1:${Number(port) + 1}`,
        `https://127.0.0.1:${port}`,
        `http://localhost:${port}`,
        'null',
      ]) {
        const { status, message, paused } = await pauseWith({ origin });
        expect({ origin, status, paused }).toEqual({ origin, status: 403, paused: false });
        expect(message).toContain(`Origin "${origin}" refused`);
        expect(message).toContain(dash.origin);
      }
    });

    it('takes the scheme of its own origin from X-Forwarded-Proto, but its host only from Host (never X-Forwarded-Host)', async () => {
      const httpsOrigin = dash.origin.replace(/^http:/, 'https:');
      const cases: [Record<string, string>, number][] = [
        [{ origin: httpsOrigin, 'x-forwarded-proto': 'https' }, 200],
        [{ origin: dash.origin, 'x-forwarded-proto': 'https' }, 403],
        [{ origin: 'https://evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }, 403],
      ];
      for (const [headers, expected] of cases) {
        const { status } = await pauseWith(headers);
        expect({ headers, status }).toEqual({ headers, status: expected });
      }
    });

    it('accepts the Origin of a proxy listed in allowedOrigins, and only that exact origin', async () => {
      expect(await pauseWith({ origin: PROXY_ORIGIN })).toMatchObject({ status: 200, paused: true });
      for (const origin of [`${PROXY_ORIGIN}:8443`, PROXY_ORIGIN.replace('https:', 'http:'), 'https://evil.admin.example.com']) {
        const { status } = await pauseWith({ origin });
        expect({ origin, status }).toEqual({ origin, status: 403 });
      }
    });
  });

  describe('the CSRF cookie', () => {
    it('is Secure when the request came over HTTPS (X-Forwarded-Proto: https), and not over plain HTTP', async () => {
      const cookieOver = async (headers: Record<string, string>) =>
        csrfCookieOf((await fetch(`${dash.baseUrl}/jobs`, { headers: { ...ADMIN, ...headers } })).headers);
      expect(await cookieOver({ 'x-forwarded-proto': 'https' })).toMatch(
        /^dataqueue_csrf=[0-9a-f]{64}; Path=\/queue; HttpOnly; SameSite=Strict; Secure$/,
      );
      expect(await cookieOver({ 'x-forwarded-proto': 'http' })).toMatch(/; SameSite=Strict$/);
      expect(await cookieOver({})).toMatch(/; SameSite=Strict$/);
    });

    it('is Secure on the error pages too', async () => {
      const refused = await fetch(`${dash.baseUrl}/jobs`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(refused.status).toBe(403);
      expect(csrfCookieOf(refused.headers)).toMatch(/; Secure$/);
    });
  });

  describe('locale', () => {
    it('treats names of Object.prototype in ?locale= or Accept-Language as unknown, never as a locale', async () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        for (const headers of [{}, { 'accept-language': name }] as Record<string, string>[]) {
          const page = await admin.page(`/jobs?locale=${name}`, headers);
          expect({ name, headers, status: page.status, lang: langOf(page.html) }).toEqual({ name, headers, status: 200, lang: 'en' });
          expect(testIdsIn(page.html)).toContain('locale-switcher');
        }
      }
    });
  });
});

describe('dashboard options checked at startup', () => {
  const boot = (dashboard: DataQueueDashboardOptions) => createDashboardApp({ dashboard, options: { mode: 'external' } });

  it('refuses public: true together with a guard, naming dashboard.public, rather than ignore the guard', async () => {
    const attempt = boot({ public: true, guard: AdminHeaderGuard });
    await expect(attempt).rejects.toThrow(DataQueueOptionsInvalidError);
    await expect(attempt).rejects.toThrow('option "dashboard.public" is invalid: cannot be combined with guard');
  });

  it('refuses a locale that is only a name of Object.prototype, naming dashboard.locale', async () => {
    for (const locale of ['constructor', '__proto__', 'toString']) {
      await expect(boot({ public: true, locale: locale as never })).rejects.toThrow('option "dashboard.locale" is invalid');
    }
  });

  it('refuses an allowedOrigins entry that is not a bare http(s) origin, naming it', async () => {
    for (const [allowedOrigins, option] of [
      [['https://admin.example.com/queue'], 'dashboard.allowedOrigins[0]'],
      [[PROXY_ORIGIN, 'admin.example.com'], 'dashboard.allowedOrigins[1]'],
      [['ftp://admin.example.com'], 'dashboard.allowedOrigins[0]'],
      ['https://admin.example.com', 'dashboard.allowedOrigins'],
    ] as [string[], string][]) {
      await expect(boot({ public: true, allowedOrigins })).rejects.toThrow(`option "${option}" is invalid`);
    }
  });
});

describe('the hardened dashboard in a browser', () => {
  let dash: DashboardApp;
  let browser: Browser;
  let page: Page;
  /** A page of another origin (another port) that puts the dashboard in an iframe. */
  let framer: Server;
  /** The headers of every action request, as the server received them. */
  const actionHeaders: Record<string, string | string[] | undefined>[] = [];

  /** The Content-Security-Policy violations the current document reported, `<directive> <blocked URI>`. */
  const violations = () => page.evaluate<string[]>('globalThis.__violations');

  beforeAll(async () => {
    dash = await createDashboardApp({
      providers: [NoteHandler],
      options: { mode: 'external' },
      beforeListen: (app) =>
        app.use((request: IncomingMessage, _response: unknown, next: () => void) => {
          if (request.method === 'POST' && request.url?.includes('/actions/')) actionHeaders.push({ ...request.headers });
          next();
        }),
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.addInitScript({
      content: `globalThis.__violations = [];
        document.addEventListener('securitypolicyviolation', (event) =>
          globalThis.__violations.push(event.violatedDirective + ' ' + event.blockedURI));`,
    });
    framer = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(`<!doctype html><title>framer</title><iframe src="${dash.baseUrl}/jobs"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => framer?.close(resolve));
    await browser?.close();
    await dash?.close();
  });

  it('renders every page under its Content-Security-Policy without a single violation', async () => {
    const job = await dash.queue.enqueue('note', { text: 'under the policy' }, { delayMs: 3_600_000 });
    const batch = await dash.queue.createBatch({ description: 'under the policy' });
    const flow = await dash.queue
      .createFlow()
      .step('first', 'note', {}, { delayMs: 3_600_000, after: [{ jobId: job.id }] })
      .step('then', 'note', {}, { after: ['first'] })
      .run();
    for (const path of [
      '',
      '/jobs',
      `/jobs/${job.id}`,
      '/batches',
      `/batches/${batch.id}`,
      `/flows/${flow.id}`,
      '/queues',
      '/cron',
      '/workers',
      '/jobs/999999999999',
    ]) {
      const response = await page.goto(`${dash.baseUrl}${path}`);
      expect({ path, csp: response?.headers()['content-security-policy'], violations: await violations() }).toEqual({
        path,
        csp: SECURITY_HEADERS['content-security-policy'],
        violations: [],
      });
    }
  });

  it('refuses to run a script injected into a page, and reports it', async () => {
    await page.goto(`${dash.baseUrl}/jobs`);
    await page.evaluate(`{
      const script = document.createElement('script');
      script.textContent = 'globalThis.__injected = 1';
      document.head.append(script);
    }`);
    // Polled from here: waitForFunction would eval its predicate in the page, which the CSP refuses.
    await waitFor('a CSP violation report', violations, (reported) => reported.length > 0);
    expect(await violations()).toEqual(['script-src-elem inline']);
    expect(await page.evaluate('globalThis.__injected')).toBeUndefined();
  });

  it("lets its own page's actions through: Chromium marks them Sec-Fetch-Site: same-origin", async () => {
    await page.goto(`${dash.baseUrl}/queues`);
    actionHeaders.length = 0;
    // As the dashboard's script does it (client-script.ts).
    const status = await page.evaluate<number>(`(async () => {
      const token = document.querySelector('meta[name="dataqueue-csrf"]').content;
      const response = await fetch('/queue/actions/pauses', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-dataqueue-csrf': token },
        body: JSON.stringify({ kind: 'queue', value: 'paused-from-the-browser', paused: true }),
      });
      return response.status;
    })()`);
    expect({ status, sent: actionHeaders.map((headers) => headers['sec-fetch-site']) }).toEqual({ status: 200, sent: ['same-origin'] });
    expect((await dash.queue.listPauses()).map((pause) => pause.value)).toContain('paused-from-the-browser');
  });

  it('cannot be framed by a page of another origin', async () => {
    const refusal = page.waitForEvent('console', (message) => message.text().includes("frame-ancestors 'none'"));
    await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
    expect((await refusal).type()).toBe('error');
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame())!;
    expect(await frame.locator('[data-testid="live-toggle"]').count()).toBe(0);
  });
});
