/** @jest-environment ./test/support/host-process-environment.js */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PLATFORMS, type Platform } from '../support/dashboard-app.js';
import { pageRequest } from './arbitraries.js';
import { assertBelow500, sendPage } from './dashboard-requests.js';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters } from './fuzz-parameters.js';
import { useFuzzTarget } from './fuzz-target.js';

describe.each(PLATFORMS)('the dashboard pages on %s, fuzzed', (platform: Platform) => {
  const target = useFuzzTarget(platform);

  it(
    'answer any query string, id, locale header and cookie below 500, without writing a row or leaving a rejection unhandled',
    async () => {
      await fc.assert(
        fc.asyncProperty(pageRequest(target.seeded.known), async (request) => {
          const before = await target.seeded.checksum.take();
          assertBelow500(await sendPage(target.client, request));
          await target.rejections.assertNone();
          expect(await target.seeded.checksum.take()).toEqual(before);
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
