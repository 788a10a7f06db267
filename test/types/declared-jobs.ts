/*
 * Compile-time checks of a declared job map (DataQueueJobs), run by `npm run typecheck`. Each
 * `@ts-expect-error` must meet an error: if a check stops rejecting, tsc fails on the unused
 * directive. The rest of the repo (one other program) checks that undeclared use still compiles.
 */
import type { Batch, JobRecord, QueueService } from '@dataqueue/nestjs';

interface SendEmail {
  to: string;
}

declare module '@dataqueue/nestjs' {
  interface DataQueueJobs {
    'send-email': SendEmail;
    'build-report': { month: string };
  }
}

export async function declaredJobs(queue: QueueService, batch: Batch): Promise<JobRecord<SendEmail>> {
  const job = await queue.enqueue('send-email', { to: 'ada@example.com' }, { priority: 1 });
  const recipient: string = job.payload.to;

  // @ts-expect-error a payload of another shape
  await queue.enqueue('send-email', { recipient });
  // @ts-expect-error a missing payload field
  await queue.enqueue('build-report', {});
  // @ts-expect-error a job type the map does not name
  await queue.enqueue('send-sms', { to: recipient });
  // @ts-expect-error an explicit payload type no longer opens the door
  await queue.enqueue<{ to: number }>('send-email', { to: 1 });

  await queue.enqueueMany([
    { jobType: 'send-email', payload: { to: recipient } },
    { jobType: 'build-report', payload: { month: '2026-11' }, options: { queue: 'reports' } },
  ]);
  // @ts-expect-error the payload of another job type of the map
  await queue.enqueueMany([{ jobType: 'build-report', payload: { to: recipient } }]);

  await batch.enqueue(['a@example.com', 'b@example.com'].map((to) => ({ jobType: 'send-email', payload: { to } })));
  // @ts-expect-error a batch checks its jobs too
  await batch.add([{ jobType: 'send-email', payload: { month: '2026-11' } }]);
  return job;
}
