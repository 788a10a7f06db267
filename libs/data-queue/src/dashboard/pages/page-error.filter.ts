import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { messageView } from '../views/message.view.js';
import { PageContextFactory, type DashboardRequest } from './page-context.factory.js';

/** Pages answer errors (closed dashboard, unknown job) with an HTML page, not JSON. */
@Catch(HttpException)
export class PageErrorFilter implements ExceptionFilter {
  constructor(
    private readonly contexts: PageContextFactory,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<unknown>();
    const ctx = this.contexts.create(http.getRequest<DashboardRequest>(), response);
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    adapter.reply(response, messageView(ctx, { status: exception.getStatus(), message: exception.message }).value, exception.getStatus());
  }
}
