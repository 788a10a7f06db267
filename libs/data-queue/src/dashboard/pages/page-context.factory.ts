import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DASHBOARD_MOUNT_PATH, DASHBOARD_OPTIONS } from '../dashboard.constants.js';
import type { ResolvedDashboardOptions } from '../dashboard-options.validation.js';
import { resolveLocale, Translator } from '../i18n/translator.js';
import { csrfCookie, csrfTokenFrom, newCsrfToken } from '../security/csrf.js';
import { headerOf, isHttps, type RequestHead } from '../security/request-head.js';
import type { PageContext } from '../views/view-models.js';

/** The bits of a request the dashboard reads; the same on Express and Fastify. */
export interface DashboardRequest extends RequestHead {
  url: string;
  originalUrl?: string;
}

/** Builds each page's `PageContext`: mount point, locale, CSRF token, refresh settings. */
@Injectable()
export class PageContextFactory {
  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    @Inject(DASHBOARD_MOUNT_PATH) private readonly mountPath: string,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Also sets the CSRF cookie on `response` when the browser has none yet. */
  create(request: DashboardRequest, response: unknown): PageContext {
    const url = new URL(request.originalUrl ?? request.url, 'http://dashboard.local');
    const basePath = this.basePathOf(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const locale = resolveLocale(query.locale, headerOf(request, 'accept-language'), this.options.locale);
    let csrfToken = csrfTokenFrom(headerOf(request, 'cookie'));
    if (!csrfToken) {
      csrfToken = newCsrfToken();
      this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', csrfCookie(csrfToken, basePath || '/', isHttps(request)));
    }
    const poll = Number(query.poll);
    const pollRequested = Number.isInteger(poll) && poll >= 1 && poll <= 3600;
    return {
      basePath,
      path: url.pathname.slice(basePath.length) || '/',
      query,
      i18n: new Translator(locale),
      locale,
      title: this.options.title,
      csrfToken,
      readOnly: this.options.readOnly,
      pollSeconds: pollRequested ? poll : this.options.pollSeconds,
      pollRequested,
    };
  }

  /** Where the dashboard is mounted in this request's URL (so global prefixes keep working). */
  private basePathOf(pathname: string): string {
    const segments = pathname.split('/');
    const mount = this.mountPath.split('/');
    for (let i = 0; i + mount.length <= segments.length; i++) {
      if (mount.every((part, j) => segments[i + j] === part)) return segments.slice(0, i + mount.length).join('/');
    }
    return `/${this.mountPath}`;
  }
}
