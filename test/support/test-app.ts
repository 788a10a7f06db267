import type { INestApplicationContext, ModuleMetadata, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DataQueueModule, QueueService } from '@dataqueue/nestjs';
import type { DataQueueModuleOptions, JobRecord, JobStatus } from '@dataqueue/nestjs';
import { databaseUrl, dropSchema, uniqueSchema } from './unique-schema.js';
import { waitFor, type WaitForOptions } from './wait-for.js';

export interface TestAppConfig {
  /** Handlers and whatever they inject. */
  providers?: Provider[];
  imports?: ModuleMetadata['imports'];
  /**
   * Passed to `DataQueueModule.forRoot` over the test defaults: DATABASE_URL, a fresh schema,
   * 200 ms poll, 500 ms shutdown grace (a test that fails mid-job must not stall afterAll).
   */
  options?: DataQueueModuleOptions;
}

export interface TestApp {
  app: INestApplicationContext;
  queue: QueueService;
  schema: string;
  /** Closes the app; drops the schema too when the app made it up (no `options.schema`). */
  close(): Promise<void>;
}

/**
 * Boots an initialised Nest application context with DataQueue and the given providers. Each app
 * gets its own schema unless `options.schema` is given (apps sharing one queue share a schema,
 * and the test drops it). Nest's logger is off unless TEST_LOG is set, so expected handler
 * failures do not flood the output.
 */
export async function createTestApp({ providers = [], imports = [], options = {} }: TestAppConfig = {}): Promise<TestApp> {
  const ownsSchema = options.schema === undefined;
  const schema = options.schema ?? uniqueSchema();
  let app: TestingModule | undefined;
  try {
    app = await Test.createTestingModule({
      imports: [
        DataQueueModule.forRoot({ url: databaseUrl(), pollIntervalMs: 200, shutdownTimeoutMs: 500, ...options, schema }),
        ...imports,
      ],
      providers,
    }).compile();
    app.useLogger(process.env.TEST_LOG ? ['fatal', 'error', 'warn', 'log'] : false);
    await app.init();
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (ownsSchema) await dropSchema(schema).catch(() => undefined);
    throw error;
  }
  const booted = app;
  let closed = false;
  return {
    app: booted,
    queue: booted.get(QueueService),
    schema,
    async close() {
      if (closed) return;
      closed = true;
      await booted.close();
      if (ownsSchema) await dropSchema(schema);
    },
  };
}

/** Polls `getJob(id)` until `until(job)` holds; returns that record. */
export function waitForJob(
  queue: QueueService,
  id: string,
  until: (job: JobRecord) => boolean,
  description = `job ${id} to reach the expected state`,
  options?: WaitForOptions,
): Promise<JobRecord> {
  return waitFor(
    description,
    () => queue.getJob(id),
    (job): job is JobRecord => job !== null && until(job),
    options,
  );
}

/** Polls until the job has `status`. */
export function waitForStatus(queue: QueueService, id: string, status: JobStatus, options?: WaitForOptions): Promise<JobRecord> {
  return waitForJob(queue, id, (job) => job.status === status, `job ${id} to be ${status}`, options);
}

/** Polls until the job failed for good (status failed, no next attempt). */
export function waitForFinalFailure(queue: QueueService, id: string, options?: WaitForOptions): Promise<JobRecord> {
  return waitForJob(
    queue,
    id,
    (job) => job.status === 'failed' && job.nextAttemptAt === null,
    `job ${id} to fail for good (failed, nextAttemptAt null)`,
    options,
  );
}
