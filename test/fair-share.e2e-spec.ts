import { afterEach, describe, expect, it } from '@jest/globals';
import type { EnqueueOptions, JobToEnqueue } from '@dataqueue/nestjs';
import type { TallyJobPayload } from './fixtures/worker-process.js';
import { startCluster, type Cluster } from './support/cluster.js';
import type { TallyEntry } from './support/tally.js';
import { waitFor } from './support/wait-for.js';
import { withWorkerLogs } from './support/worker-processes.js';

const PROCESSES = 2;
const SLOTS = 5;
/** The most a pool claims ahead of its free slots (ClaimPace). */
const MAX_PREFETCH = 500;

/**
 * Fair share through the public API (`fairKey`, `fairWeight`), with the handlers in two worker
 * processes: the starts of both together are what is fair. Each tally entry is one start, in
 * start order across the processes.
 */
describe('fair share across tenants, two worker processes', () => {
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  /** The pools' queues: each test claims with another of the fair claim's three queue forms. */
  async function setUp(queues: '*' | 'default' | 'default,spare', env: Record<string, string> = {}): Promise<Cluster> {
    cluster = await startCluster({ workers: PROCESSES, env: { DQ_QUEUES: `${queues}:${SLOTS}`, ...env } });
    return cluster;
  }

  /** `count` jobs of `tenant`, labelled with it, in enqueueMany calls of 1,000. */
  async function enqueueTenant(tenant: string, count: number, options: EnqueueOptions = {}): Promise<void> {
    for (let start = 0; start < count; start += 1000) {
      const jobs: JobToEnqueue<TallyJobPayload>[] = Array.from({ length: Math.min(1000, count - start) }, () => ({
        jobType: 'tally',
        payload: { label: tenant },
        options: { fairKey: tenant, ...options },
      }));
      await cluster!.producer.queue.enqueueMany(jobs);
    }
  }

  function startsOf(entries: TallyEntry[], label: string): TallyEntry[] {
    return entries.filter((entry) => entry.label === label);
  }

  /** Every start so far, once `label` has `count` of them. */
  function untilStarted(label: string, count: number): Promise<TallyEntry[]> {
    const { tally, workers } = cluster!;
    return withWorkerLogs(
      workers,
      waitFor(
        `${count} starts of ${label}`,
        () => tally.entries(),
        (seen) => startsOf(seen, label).length >= count,
        { timeoutMs: 60_000, intervalMs: 50 },
      ),
    );
  }

  /** B's last start came within the bound of A starts after B's enqueue, and FIFO order would have broken it. */
  function expectStartedWithinBound(entries: TallyEntry[], bEnqueuedAt: Date): void {
    const bStart = startsOf(entries, 'B').at(-1)!;
    const aBeforeB = startsOf(entries, 'A').filter((entry) => entry.seq < bStart.seq);
    // When B commits, each process has at most its slots and its prefetch claimed, and one
    // claim of that size in flight; its next claim puts B first (B's tag is the virtual time,
    // every A job's is past it). So at most this many A jobs start between B's enqueue and B.
    const bound = PROCESSES * 2 * (SLOTS + MAX_PREFETCH);
    expect(aBeforeB.filter((entry) => entry.at > bEnqueuedAt).length).toBeLessThanOrEqual(bound);
    // In FIFO order B would have waited for every A job: more than the bound were still queued.
    expect(20_000 - aBeforeB.length).toBeGreaterThan(bound);
  }

  it("starts tenant B's one job within a bounded number of starts after tenant A enqueued 20,000", async () => {
    const { producer } = await setUp('*');
    await enqueueTenant('A', 20_000);
    const b = await producer.queue.enqueue<TallyJobPayload>('tally', { label: 'B' }, { fairKey: 'B' });
    const entries = await untilStarted('B', 1);
    expectStartedWithinBound(entries, b.createdAt);
  });

  it('starts the new job of a tenant whose jobs had all run within the same bound, woken by its NOTIFY alone', async () => {
    // No poll during the test: only the NOTIFY of B's second enqueue can make a pool look past
    // the keys it knows (A's, once B's first job ran).
    const { producer } = await setUp('*', { DQ_POLL_INTERVAL_MS: '600000' });
    await producer.queue.enqueue<TallyJobPayload>('tally', { label: 'B' }, { fairKey: 'B' });
    await untilStarted('B', 1);
    await enqueueTenant('A', 20_000);
    await untilStarted('A', 1000);
    const b = await producer.queue.enqueue<TallyJobPayload>('tally', { label: 'B' }, { fairKey: 'B' });
    const entries = await untilStarted('B', 2);
    expectStartedWithinBound(entries, b.createdAt);
  });

  it('gives a weight-3 tenant three starts for each one of a weight-1 tenant, within 10% over 2,000 starts', async () => {
    const { producer, tally, workers } = await setUp('default');
    await producer.queue.pause({ queue: 'default' });
    await enqueueTenant('heavy', 3000, { fairWeight: 3 });
    await enqueueTenant('light', 3000, { fairWeight: 1 });
    await producer.queue.resume({ queue: 'default' });
    const entries = await withWorkerLogs(
      workers,
      waitFor(
        '2,000 starts',
        () => tally.entries(),
        (seen) => seen.length >= 2000,
        { timeoutMs: 60_000, intervalMs: 50 },
      ),
    );
    // Both tenants still had work queued at the 2,000th start: the contention held throughout.
    const first = entries.slice(0, 2000);
    const ratio = startsOf(first, 'heavy').length / startsOf(first, 'light').length;
    expect(ratio).toBeGreaterThanOrEqual(2.7);
    expect(ratio).toBeLessThanOrEqual(3.3);
  });

  it('runs keyed jobs and jobs of the default key side by side, each exactly once', async () => {
    const { producer, tally, workers } = await setUp('default,spare');
    await enqueueTenant('keyed', 300);
    const plain: JobToEnqueue<TallyJobPayload>[] = Array.from({ length: 300 }, () => ({ jobType: 'tally', payload: { label: 'plain' } }));
    const unkeyed = await producer.queue.enqueueMany(plain);
    expect(unkeyed[0]).toMatchObject({ fairKey: null, fairWeight: 1 });
    await withWorkerLogs(
      workers,
      waitFor(
        '600 starts',
        () => tally.count(),
        (count) => count >= 600,
        { timeoutMs: 30_000 },
      ),
    );
    const runs = await tally.runsPerJob();
    expect(runs.size).toBe(600);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });
});
