import { afterAll, beforeAll } from '@jest/globals';
import { DashboardClient, type Platform } from '../support/dashboard-app.js';
import { UnhandledRejections } from '../support/unhandled-rejections.js';
import { startSeededQueue, type SeededQueue } from './seeded-queue.js';

export interface FuzzTarget {
  seeded: SeededQueue;
  /** A browser-like client holding the dashboard's CSRF cookie and token. */
  client: DashboardClient;
  /** Watched from the first case to the last. */
  rejections: UnhandledRejections;
}

/**
 * Registers the describe block's setup: a seeded queue with its dashboard on `platform`, a
 * dashboard session, and a watch for unhandled rejections. Read the fields inside tests.
 */
export function useFuzzTarget(platform: Platform = 'express'): FuzzTarget {
  const target = { rejections: new UnhandledRejections() } as FuzzTarget;

  beforeAll(async () => {
    target.seeded = await startSeededQueue(platform);
    target.client = await new DashboardClient(target.seeded.dash.baseUrl).session();
    target.rejections.start();
  });

  afterAll(async () => {
    target.rejections.stop();
    await target.seeded?.close();
  });

  return target;
}
