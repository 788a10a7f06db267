import type { AddressInfo } from 'node:net';
import { afterAll } from '@jest/globals';
import type { INestApplication, ModuleMetadata, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DataQueueDashboardModule, DataQueueModule, QueueService } from '@dataqueue/nestjs';
import type { DataQueueDashboardExtras, DataQueueDashboardOptions, DataQueueModuleOptions } from '@dataqueue/nestjs';
import { databaseUrl, dropSchema, uniqueSchema } from './unique-schema.js';

/** The HTTP platforms the dashboard must work on. */
export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface DashboardAppConfig {
  platform?: Platform;
  /** `DataQueueDashboardModule.forRoot` options; the mount path defaults to `queue`. */
  dashboard?: DataQueueDashboardOptions & DataQueueDashboardExtras;
  providers?: Provider[];
  imports?: ModuleMetadata['imports'];
  /** Over the test defaults (fresh schema, 200 ms poll, 500 ms shutdown grace), as in createTestApp. */
  options?: DataQueueModuleOptions;
  /** What the host app does to the application before it listens (e.g. `app.use(helmet())`). */
  beforeListen?: (app: INestApplication) => void;
}

export interface DashboardApp {
  app: INestApplication;
  queue: QueueService;
  schema: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** `origin` + the dashboard's mount path, e.g. `http://127.0.0.1:4321/queue`. */
  baseUrl: string;
  /** Closes the app and drops its schema (when it made it up). */
  close(): Promise<void>;
}

/**
 * Boots an HTTP application with DataQueue and its dashboard on Express or Fastify, listening on
 * an ephemeral port of 127.0.0.1. Nest's logger is off unless TEST_LOG is set.
 */
export async function createDashboardApp({
  platform = 'express',
  dashboard = { public: true },
  providers = [],
  imports = [],
  options = {},
  beforeListen,
}: DashboardAppConfig = {}): Promise<DashboardApp> {
  const ownsSchema = options.schema === undefined;
  const schema = options.schema ?? uniqueSchema('dash');
  let moduleRef: TestingModule | undefined;
  let app: INestApplication | undefined;
  try {
    moduleRef = await Test.createTestingModule({
      imports: [
        DataQueueModule.forRoot({ url: databaseUrl(), pollIntervalMs: 200, shutdownTimeoutMs: 500, ...options, schema }),
        DataQueueDashboardModule.forRoot(dashboard),
        ...imports,
      ],
      providers,
    }).compile();
    app = platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter()) : moduleRef.createNestApplication();
    app.useLogger(process.env.TEST_LOG ? ['fatal', 'error', 'warn', 'log'] : false);
    beforeListen?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await (app ?? moduleRef)?.close().catch(() => undefined);
    if (ownsSchema) await dropSchema(schema).catch(() => undefined);
    throw error;
  }
  const booted = app;
  const { port } = booted.getHttpServer().address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const mount = (dashboard.path ?? 'queue').replace(/^\/+|\/+$/g, '');
  let closed = false;
  return {
    app: booted,
    queue: booted.get(QueueService),
    schema,
    origin,
    baseUrl: `${origin}/${mount}`,
    async close() {
      if (closed) return;
      closed = true;
      await booted.close();
      if (ownsSchema) await dropSchema(schema);
    },
  };
}

export interface PageResponse {
  status: number;
  headers: Headers;
  html: string;
}

export interface ActionResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * A browser-like client of one dashboard: keeps the CSRF cookie the pages set and the token the
 * pages carry, and sends both with actions, as the dashboard's own script does.
 */
export class DashboardClient {
  /** `dataqueue_csrf=<token>`, once a page has set it. */
  cookie: string | null = null;
  /** The token of the last page's `<meta name="dataqueue-csrf">`. */
  token: string | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  /** GETs a page below the mount path (`''` is the overview, `/jobs?state=failed`, …). */
  async page(path: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { ...this.defaultHeaders, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      redirect: 'manual',
    });
    const setCookie = response.headers.getSetCookie().find((line) => line.startsWith('dataqueue_csrf='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const html = await response.text();
    const token = csrfTokenOf(html);
    if (token) this.token = token;
    return { status: response.status, headers: response.headers, html };
  }

  /** Opens the overview once so the client holds a cookie and a token. */
  async session(): Promise<this> {
    const { status } = await this.page('');
    if (status !== 200) throw new Error(`DashboardClient.session: the overview answered ${status}`);
    if (!this.cookie || !this.token) throw new Error('DashboardClient.session: the overview set no CSRF cookie or token');
    return this;
  }

  /**
   * POSTs JSON to an action below the mount path, with the CSRF header and cookie (override
   * either with `csrf`: `null` leaves it out).
   */
  async post<T = any>(
    path: string,
    body: unknown,
    csrf: { token?: string | null; cookie?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ActionResponse<T>> {
    const token = csrf.token === undefined ? this.token : csrf.token;
    const cookie = csrf.cookie === undefined ? this.cookie : csrf.cookie;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        ...this.defaultHeaders,
        'content-type': 'application/json',
        accept: 'application/json',
        ...(token ? { 'x-dataqueue-csrf': token } : {}),
        ...(cookie ? { cookie } : {}),
        ...csrf.headers,
      },
      body: JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T };
  }
}

export function csrfTokenOf(html: string): string | null {
  return /<meta name="dataqueue-csrf" content="([^"]*)">/.exec(html)?.[1] ?? null;
}

/** The `<title>` text (still HTML-escaped). */
export function titleOf(html: string): string | null {
  return /<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? null;
}

/** The `lang` of the `<html>` element. */
export function langOf(html: string): string | null {
  return /<html lang="([^"]*)">/.exec(html)?.[1] ?? null;
}

/** Ids of the job rows, in page order. */
export function jobIdsIn(html: string): string[] {
  return [...html.matchAll(/data-testid="job-row" data-job-id="(\d+)"/g)].map((match) => match[1]);
}

/** Every `data-testid` value on the page. */
export function testIdsIn(html: string): string[] {
  return [...html.matchAll(/data-testid="([^"]+)"/g)].map((match) => match[1]);
}

/** The href of the `rel="next"` pager link, unescaped, or null. */
export function nextLinkOf(html: string): string | null {
  const href = /<a href="([^"]*)" rel="next">/.exec(html)?.[1];
  return href === undefined ? null : unescapeHtml(href);
}

/** The number shown by a `count-<state>` / `workers-alive` overview card. */
export function cardValueOf(html: string, testId: string): number | null {
  const match = new RegExp(`data-testid="${testId}">\\s*<span class="value">([^<]*)</span>`).exec(html);
  return match ? Number(match[1].replace(/[^\d]/g, '')) : null;
}

/** The escaping the dashboard's templates apply, to find translated text in a page. */
export function escapeHtml(text: string): string {
  const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return text.replace(/[&<>"']/g, (char) => escapes[char]);
}

export function unescapeHtml(text: string): string {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => entities[entity]);
}

/**
 * For one describe: boots an enqueue-only dashboard app per call, with `providers` and the
 * dashboard options given, and closes them all after the describe.
 */
export function dashboardAppsOf(
  platform: Platform,
  providers: Provider[],
): (dashboard: DataQueueDashboardOptions) => Promise<DashboardApp> {
  const apps: DashboardApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  return async (dashboard) => {
    const app = await createDashboardApp({ platform, dashboard, providers, options: { mode: 'external' } });
    apps.push(app);
    return app;
  };
}
