/** @jest-environment ./test/support/host-process-environment.js */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DataQueueError, type JobToEnqueue, type QueueService } from '@dataqueue/nestjs';
import { queueCall, type QueueCall } from './arbitraries.js';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-parameters.js';
import { useFuzzTarget } from './fuzz-target.js';

/** Makes the call; a synchronous throw counts as a rejection. */
async function run(queue: QueueService, { method, args }: QueueCall): Promise<unknown> {
  if (method === 'batchAdd') {
    const batch = await queue.getBatchHandle(args[0] as string);
    return batch?.add(args[1] as JobToEnqueue[]);
  }
  return (queue[method] as (...values: unknown[]) => Promise<unknown>)(...args);
}

/** Why the rejection breaks the contract, or null when it is one of DataQueue's own errors. */
function untypedRejection(error: unknown): string | null {
  if (error instanceof DataQueueError) return null;
  return `rejected with something other than a DataQueueError: ${error instanceof Error ? error.stack : String(error)}`;
}

describe.each(['external', 'inline'] as const)('QueueService in %s mode, fuzzed', (mode) => {
  const target = useFuzzTarget();

  it(
    'resolves, or rejects with a DataQueueError and changes no row, leaving no rejection unhandled, whatever the arguments',
    async () => {
      await fc.assert(
        fc.asyncProperty(queueCall(target.seeded.known), async (call) => {
          const before = await target.seeded.checksum.take();
          let failure: { error: unknown } | null = null;
          try {
            await run(mode === 'external' ? target.seeded.dash.queue : target.seeded.seeder.queue, call);
          } catch (error) {
            failure = { error };
          }
          await target.rejections.assertNone();
          if (!failure) return target.seeded.topUp();
          const untyped = untypedRejection(failure.error);
          if (untyped) throw new Error(untyped);
          expect(await target.seeded.checksum.take()).toEqual(before);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
