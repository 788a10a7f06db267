/** @jest-environment ./test/support/host-process-environment.js */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PLATFORMS, type Platform } from '../support/dashboard-app.js';
import { actionRequest } from './arbitraries.js';
import { assertBelow500, isRejection, sendAction } from './dashboard-requests.js';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-parameters.js';
import { useFuzzTarget } from './fuzz-target.js';

describe.each(PLATFORMS)('the dashboard actions on %s, fuzzed', (platform: Platform) => {
  const target = useFuzzTarget(platform);

  it(
    'answer any body, content type, CSRF pair and path below 500, leave no rejection unhandled, and change no row when they refuse',
    async () => {
      await fc.assert(
        fc.asyncProperty(actionRequest(target.seeded.known), async (request) => {
          const before = await target.seeded.checksum.take();
          const answer = await sendAction(target.client, request);
          assertBelow500(answer);
          await target.rejections.assertNone();
          if (isRejection(answer)) expect(await target.seeded.checksum.take()).toEqual(before);
          // An accepted action may have deleted or cancelled the seed: keep the pages and ids worth fuzzing.
          else await target.seeded.topUp();
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
