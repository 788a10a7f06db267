import { Catch, Logger, Optional } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DataQueueError } from '../core/data-queue.errors.js';
import { dataQueueErrorResponse } from './data-queue-error-response.js';

/** The Express response or Fastify reply, for a filter built with `new` (no HttpAdapterHost). */
interface RawResponse {
  headersSent?: boolean;
  sent?: boolean;
  code?(status: number): { send(body: unknown): unknown };
  status(status: number): { json(body: unknown): unknown };
}

/**
 * Answers DataQueue's typed errors over HTTP: 400 invalid input, 404 unknown job, batch, cron
 * entry or job type, 409 conflicts, 429 enqueue limits, 503 database down (see
 * `dataQueueErrorResponse`). Any other exception is left to Nest. Register it once:
 * `app.useGlobalFilters(new DataQueueExceptionFilter())` or
 * `{ provide: APP_FILTER, useClass: DataQueueExceptionFilter }`. Works on Express and Fastify.
 */
@Catch(DataQueueError)
export class DataQueueExceptionFilter implements ExceptionFilter<DataQueueError> {
  private readonly logger = new Logger('DataQueue');

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: DataQueueError, host: ArgumentsHost): void {
    // GraphQL, RPC, WebSockets: what Nest does without this filter.
    if (host.getType() !== 'http') throw error;
    const body = dataQueueErrorResponse(error);
    if (body.statusCode >= 500) this.logger.error(error.message, error.stack);
    const response = host.switchToHttp().getResponse<RawResponse>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) {
      if (adapter.isHeadersSent(response)) adapter.end(response);
      else adapter.reply(response, body, body.statusCode);
    } else if (typeof response.code === 'function') {
      if (!response.sent) response.code(body.statusCode).send(body);
    } else if (!response.headersSent) {
      response.status(body.statusCode).json(body);
    }
  }
}
