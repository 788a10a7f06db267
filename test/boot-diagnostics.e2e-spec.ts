import { createServer } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import type { LoggerService, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DatabaseUnavailableError,
  DataQueueModule,
  DataQueueOptionsInvalidError,
  JobHandler,
  JobTypeUnknownError,
  OnBatchFinish,
  QueueService,
} from '@dataqueue/nestjs';
import type { DataQueueModuleOptions } from '@dataqueue/nestjs';
import { rejectionOf } from './support/rejection.js';
import { createTestApp } from './support/test-app.js';
import { databaseUrl, dropSchema, uniqueSchema } from './support/unique-schema.js';

@JobHandler('diag.provided')
class ProvidedHandler {
  handle(): void {}
}

/** Decorated, but no module of the apps below lists it. */
@JobHandler('diag.unprovided')
class UnprovidedHandler {
  handle(): void {}
}

class ProvidedCallbacks {
  @OnBatchFinish('diag.assembled')
  assembled(): void {}
}

class UnprovidedCallbacks {
  @OnBatchFinish('diag.forgotten')
  forgotten(): void {}
}

interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context?: string;
}

/** Keeps what the app logs; Nest passes the context as the last argument. */
class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  log = (message: unknown, context?: string) => this.add('log', message, context);
  error = (message: unknown, ...rest: unknown[]) => this.add('error', message, rest.at(-1) as string);
  warn = (message: unknown, context?: string) => this.add('warn', message, context);
  debug = (message: unknown, context?: string) => this.add('debug', message, context);
  verbose = (message: unknown, context?: string) => this.add('verbose', message, context);
  fatal = (message: unknown, context?: string) => this.add('fatal', message, context);

  of(level: LogEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level && entry.context === 'DataQueue').map((entry) => entry.message);
  }

  private add(level: LogEntry['level'], message: unknown, context?: string): void {
    this.entries.push({ level, message: String(message), context });
  }
}

/** Boots an app context with `providers`, logging into a CapturingLogger; `mode: 'external'` runs no workers. */
async function bootLogged(providers: Provider[], options: DataQueueModuleOptions = {}) {
  const schema = uniqueSchema('diag');
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [DataQueueModule.forRoot({ url: databaseUrl(), mode: 'external', ...options, schema })],
    providers,
  }).compile();
  moduleRef.useLogger(logger);
  try {
    await moduleRef.init();
  } catch (error) {
    await moduleRef.close();
    await dropSchema(schema);
    throw error;
  }
  return {
    logger,
    queue: moduleRef.get(QueueService),
    async close() {
      await moduleRef.close();
      await dropSchema(schema);
    },
  };
}

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('boot diagnostics', () => {
  describe('database connection', () => {
    it('reports an unreachable server as DatabaseUnavailableError naming host, port, database and user, never the password', async () => {
      const port = await closedPort();
      const error = await rejectionOf(createTestApp({ options: { url: `postgres://queue_user:s3cret-Pa55@127.0.0.1:${port}/orders` } }));
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error).toMatchObject({ host: '127.0.0.1', port, database: 'orders', user: 'queue_user' });
      expect(error.message).toContain(`database "orders" at 127.0.0.1:${port} as user "queue_user"`);
      expect(error.message).toContain('check that PostgreSQL runs there');
      expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
      expect(`${error.message}\n${error.stack}\n${JSON.stringify(error)}`).not.toContain('s3cret-Pa55');
    });

    it('reports a database that does not exist as DatabaseUnavailableError naming it', async () => {
      const url = new URL(databaseUrl());
      url.pathname = '/dataqueue_no_such_database';
      const error = await rejectionOf(createTestApp({ options: { url: url.toString() } }));
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect(error).toMatchObject({ host: url.hostname, port: Number(url.port || 5432), database: 'dataqueue_no_such_database' });
      expect(error.message).toContain('database "dataqueue_no_such_database" does not exist');
      if (url.password) expect(`${error.message}\n${error.stack}`).not.toContain(url.password);
    });
  });

  describe('handlers and callbacks', () => {
    it('logs one line with the job types and batch callback keys it discovered', async () => {
      const app = await bootLogged([ProvidedHandler, ProvidedCallbacks]);
      try {
        expect(app.logger.of('log')).toContain('this app handles 1 job type: diag.provided; 1 batch callback: onFinish "diag.assembled"');
      } finally {
        await app.close();
      }
    });

    it('warns at boot about a decorated class no module provides, naming it and the fix', async () => {
      const app = await bootLogged([ProvidedHandler, ProvidedCallbacks]);
      try {
        const warnings = app.logger.of('warn');
        expect(warnings).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`@JobHandler('diag.unprovided') class UnprovidedHandler is not in any module's providers`),
            expect.stringContaining(`class UnprovidedCallbacks has @OnBatchFinish("diag.forgotten") but is not in any module's providers`),
          ]),
        );
        const handlerWarning = warnings.find((w) => w.includes(`class ${UnprovidedHandler.name} `));
        expect(handlerWarning).toContain('add UnprovidedHandler to the providers of a module this app imports');
        expect(warnings.filter((w) => w.includes('class ProvidedHandler') || w.includes('class ProvidedCallbacks'))).toEqual([]);
      } finally {
        await app.close();
      }
    });

    it('names the unprovided class when enqueue rejects its job type', async () => {
      const app = await bootLogged([ProvidedHandler]);
      try {
        const error = await rejectionOf(app.queue.enqueue('diag.unprovided', {}));
        expect(error).toBeInstanceOf(JobTypeUnknownError);
        expect(error.message).toContain(
          `it is declared by class UnprovidedHandler, but UnprovidedHandler is not in any module's providers`,
        );
        const unknown = await rejectionOf(app.queue.enqueue('diag.nobody', {}));
        expect(unknown.message).toBe('job type "diag.nobody" has no @JobHandler in this application');
      } finally {
        await app.close();
      }
    });

    it('does not warn in an enqueue-only app, whose workers provide the handlers', async () => {
      const app = await bootLogged([], { mode: 'external', strictJobTypes: false });
      try {
        expect(app.logger.of('warn')).toEqual([]);
        expect(app.logger.of('debug')).toEqual(
          expect.arrayContaining([
            expect.stringContaining(`class ${UnprovidedHandler.name} is not provided`),
            expect.stringContaining(`class ${UnprovidedCallbacks.name} (@OnBatchFinish("diag.forgotten")) is not provided`),
          ]),
        );
        expect(app.logger.of('log')).toContain('this app handles no job types; no batch callbacks');
      } finally {
        await app.close();
      }
    });
  });

  describe('queues option', () => {
    it.each([
      ['mail:x', 'pool "mail:x": slots must be an integer from 1 to 1000, got "x"'],
      ['mail: 2', 'pool "mail: 2": remove the space around ":" (write "mail:2")'],
      ['mail sms:2', 'queue name "mail sms" contains a space'],
      [5, 'queues must be a string such as "mail:2;*:5"'],
    ])('rejects queues %p naming the bad part', async (queues, detail) => {
      const error = await rejectionOf(createTestApp({ options: { queues: queues as string } }));
      expect(error).toBeInstanceOf(DataQueueOptionsInvalidError);
      expect(error.option).toBe('queues');
      expect(error.message).toContain(detail);
      expect(error.message).not.toContain('not a valid queue name');
    });
  });
});
