import { JobHandler, type JobContext, type QueueService } from '@dataqueue/nestjs';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { createDashboardApp, type DashboardApp, type Platform } from '../support/dashboard-app.js';
import { TableChecksum } from '../support/table-checksum.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Far in the future: a seeded pending job stays pending. */
const LATER = { delayMs: 3_600_000 };
/** Below this many jobs, a destructive action has emptied the table: seed again. */
const MIN_JOBS = 8;

@JobHandler('note')
class NoteHandler {
  handle(payload: { text?: string }): { noted: string | null } {
    return { noted: payload?.text ?? null };
  }
}

@JobHandler('doomed', { maxAttempts: 1 })
class DoomedHandler {
  handle(): never {
    throw new Error('doomed to fail');
  }
}

class TypedPayload {
  @IsString() @MaxLength(100) name!: string;
  @IsOptional() @IsInt() @Min(0) count?: number;
  @IsOptional() @ValidateNested() @Type(() => TypedPayload) child?: TypedPayload;
}

@JobHandler('typed', { payload: TypedPayload })
class TypedHandler {
  handle(): void {}
}

/** Enqueue-side limits keyed every way a key can be written, so enqueues exercise the gate. */
@JobHandler('limited', {
  concurrency: [
    { key: { payload: 'account' }, enqueueLimit: 50 },
    { key: { tagPrefix: 'tenant:' }, totalLimit: 50 },
    { key: { template: 'report:{payload.report}' }, enqueueThrottle: [50, 60_000] },
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a fuzzed payload's user may be any value
    { key: (payload: { user?: unknown }) => (payload?.user === undefined ? null : `user:${String(payload.user)}`), totalLimit: 50 },
  ],
})
class LimitedHandler {
  handle(): void {}
}

/** Waits (without holding a slot) until someone completes its token. */
@JobHandler('awaits-token')
class AwaitsTokenHandler {
  async handle(payload: { token: string }, ctx: JobContext): Promise<unknown> {
    return ctx.waitForToken(payload.token);
  }
}

const HANDLERS = [NoteHandler, DoomedHandler, TypedHandler, LimitedHandler, AwaitsTokenHandler];

/**
 * Values the generators draw real ones from: the rows seeded so far. The lists only grow, so a
 * generator indexing them modulo their length always finds a value (maybe of a deleted row).
 */
export interface KnownValues {
  jobIds: string[];
  batchIds: string[];
  queues: string[];
  jobTypes: string[];
  tags: string[];
  tokens: string[];
  idempotencyKeys: string[];
  cronKeys: string[];
}

export interface SeededQueue {
  /**
   * The app under test: DataQueue in `external` mode (nothing runs in the background, so only requests
   * change rows) and its public dashboard.
   */
  dash: DashboardApp;
  /** An `inline` app on the same schema: its enqueues run at once, which seeds finished jobs. */
  seeder: TestApp;
  known: KnownValues;
  checksum: TableChecksum;
  /** Seeds again when destructive actions have left fewer than MIN_JOBS jobs. */
  topUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the app under test and seeds it with jobs in every state a page shows (completed, failed,
 * pending, cancelled, waiting), two batches (one running, one cancelled), a pause and a cron entry.
 */
export async function startSeededQueue(platform: Platform = 'express'): Promise<SeededQueue> {
  const dash = await createDashboardApp({
    platform,
    providers: HANDLERS,
    // Feb 29, 03:00 UTC: an entry that exists but does not tick during a test run.
    options: { mode: 'external', cron: [{ key: 'fuzz-nightly', schedule: '0 3 29 2 *', jobType: 'note', payload: {} }] },
  });
  const opened: { seeder?: TestApp; checksum?: TableChecksum } = {};
  try {
    const seeder = (opened.seeder = await createTestApp({ providers: HANDLERS, options: { schema: dash.schema, mode: 'inline' } }));
    const checksum = (opened.checksum = await TableChecksum.open(dash.schema));
    const known: KnownValues = {
      jobIds: [],
      batchIds: [],
      queues: ['default', 'mail', 'paused-queue'],
      jobTypes: ['note', 'doomed', 'typed', 'limited', 'awaits-token'],
      tags: ['fuzz', 'tenant:a', 'tenant:b'],
      tokens: [],
      idempotencyKeys: [],
      cronKeys: ['fuzz-nightly'],
    };
    await dash.queue.pause({ queue: 'paused-queue' });
    await seed(dash.queue, seeder.queue, known);
    return {
      dash,
      seeder,
      known,
      checksum,
      async topUp() {
        const { jobs } = await dash.queue.listJobs({ limit: MIN_JOBS });
        if (jobs.length < MIN_JOBS) await seed(dash.queue, seeder.queue, known);
      },
      async close() {
        await checksum.close();
        await seeder.close();
        await dash.close();
      },
    };
  } catch (error) {
    await opened.checksum?.close().catch(() => undefined);
    await opened.seeder?.close().catch(() => undefined);
    await dash.close().catch(() => undefined);
    throw error;
  }
}

async function seed(queue: QueueService, inline: QueueService, known: KnownValues): Promise<void> {
  const round = known.tokens.length;
  const token = `fuzz-token-${round}`;
  const idempotencyKey = `fuzz-key-${round}`;
  const jobs = [
    await inline.enqueue('note', { text: 'done' }, { tags: ['fuzz'] }),
    await inline.enqueue('note', { text: 'done too' }, { queue: 'mail' }),
    await inline.enqueue('doomed', {}, { tags: ['tenant:a'] }),
    await inline.enqueue('doomed', { why: 'so' }, { queue: 'mail' }),
    await inline.enqueue('awaits-token', { token }),
    await queue.enqueue('note', { text: 'later' }, { ...LATER, tags: ['fuzz', 'tenant:b'], idempotencyKey }),
    await queue.enqueue('note', { text: 'later on mail' }, { ...LATER, queue: 'mail' }),
    await queue.enqueue('note', { text: 'held' }, { ...LATER, queue: 'paused-queue' }),
    await queue.enqueue('limited', { account: 'acme', report: 'r1', user: 7 }, { ...LATER, tags: ['tenant:a'] }),
    await queue.enqueue('typed', { name: 'typed', count: 1 }, LATER),
  ];
  const cancelled = await queue.enqueue('note', { text: 'cancelled' }, LATER);
  await queue.cancelJob(cancelled.id);
  const running = await queue.createBatch({ description: 'fuzz: running', properties: { round } });
  const batchJobs = await running.enqueue([
    { jobType: 'note', payload: { text: 'in a batch' }, options: LATER },
    { jobType: 'note', payload: { text: 'also in a batch' }, options: LATER },
  ]);
  const discarded = await queue.createBatch({ description: 'fuzz: cancelled' });
  const discardedJobs = await discarded.enqueue([{ jobType: 'note', payload: {}, options: LATER }]);
  await queue.cancelBatch(discarded.id);
  known.jobIds.push(...[...jobs, cancelled, ...batchJobs, ...discardedJobs].map((job) => job.id));
  known.batchIds.push(running.id, discarded.id);
  known.tokens.push(token);
  known.idempotencyKeys.push(idempotencyKey);
}
