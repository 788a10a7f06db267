import type { JobReference } from './enqueue-options.js';
import { classesDeclaring } from './job-handler-classes.js';
import type { JobStatus } from './job-states.js';

/** Base class of every error DataQueue throws on purpose. */
export class DataQueueError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `DataQueueModule.forRoot` received an invalid option; `option` names it. */
export class DataQueueOptionsInvalidError extends DataQueueError {
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`DataQueueModule option "${option}" is invalid: ${detail}`);
  }
}

/** Two providers declare `@JobHandler` for the same job type. */
/** An `@OnQueueEvent` that asks for something that does not exist (at boot). */
export class QueueEventSubscriptionInvalidError extends DataQueueError {
  constructor(
    /** `Class.method` */
    readonly method: string,
    detail: string,
  ) {
    super(`@OnQueueEvent on ${method}: ${detail}`);
  }
}

export class DuplicateJobHandlerError extends DataQueueError {
  constructor(
    readonly jobType: string,
    handlers: string[],
  ) {
    super(`job type "${jobType}" has more than one @JobHandler: ${handlers.join(', ')}`);
  }
}

/** Two `@OnBatch*` methods declare the same event and key. */
export class DuplicateBatchCallbackError extends DataQueueError {
  constructor(
    readonly event: string,
    readonly key: string,
    methods: string[],
  ) {
    super(`batch ${event} callback "${key}" is declared more than once: ${methods.join(', ')}`);
  }
}

export class JobTypeUnknownError extends DataQueueError {
  constructor(
    readonly jobType: string,
    message = `job type "${jobType}" has no @JobHandler in this application${unprovidedHint(jobType)}`,
  ) {
    super(message);
  }
}

/** The usual cause: the class is decorated (its file is loaded) but no module lists it. */
function unprovidedHint(jobType: string): string {
  const classes = classesDeclaring(jobType);
  if (classes.length === 0) return '';
  const names = classes.join(', ');
  return classes.length === 1
    ? `: it is declared by class ${names}, but ${names} is not in any module's providers ` +
        `(add it to the providers of a module this app imports)`
    : `: it is declared by classes ${names}, but none of them is in any module's providers ` +
        `(add one to the providers of a module this app imports)`;
}

/**
 * `strictJobTypes: false` and the type has no handler here, and no app with its handler has
 * published its settings to the schema yet: the job would get settings its handler does not
 * declare, so nothing is enqueued.
 */
export class JobTypeNotPublishedError extends JobTypeUnknownError {
  constructor(
    jobType: string,
    readonly schema: string,
  ) {
    super(
      jobType,
      `job type "${jobType}" has no @JobHandler in this application, and no application with its handler has ` +
        `published its settings to schema "${schema}" yet: start an app that declares it once (workers publish at boot)`,
    );
  }
}

export interface PayloadViolation {
  /** Dotted path inside the payload, e.g. `payload.to` or `payload.items.0.sku`. */
  path: string;
  /** class-validator constraint name → message. */
  constraints: Record<string, string>;
}

export class JobPayloadInvalidError extends DataQueueError {
  /** The violations as text, without the job type and index. */
  readonly detail: string;

  constructor(
    readonly jobType: string,
    readonly violations: PayloadViolation[],
    readonly index?: number,
  ) {
    const where = index === undefined ? '' : ` (jobs[${index}])`;
    const detail = violations.flatMap((v) => Object.values(v.constraints).map((c) => `${v.path}: ${c}`)).join('; ');
    super(`job type "${jobType}"${where}: invalid payload: ${detail}`);
    this.detail = detail;
  }
}

/** An enqueue option (or a `rescheduleJob` argument) is out of range or of the wrong type. */
export class JobOptionsInvalidError extends DataQueueError {
  constructor(
    readonly field: string,
    readonly detail: string,
    readonly jobType?: string,
    readonly index?: number,
  ) {
    const where = [jobType && `job type "${jobType}"`, index !== undefined && `jobs[${index}]`].filter(Boolean).join(', ');
    super(`${where ? `${where}: ` : ''}option "${field}" is invalid: ${detail}`);
  }
}

export class JobNotFoundError extends DataQueueError {
  constructor(readonly jobId: string) {
    super(`job ${jobId} does not exist`);
  }
}

/** The job exists but its status does not allow the requested action. */
export class JobStateError extends DataQueueError {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
    readonly action: 'cancel' | 'retry' | 'reschedule' | 'update' | 'delete',
    readonly allowedFrom: string[],
  ) {
    super(`cannot ${action} job ${jobId}: it is ${status} (allowed from: ${allowedFrom.join(', ')})`);
  }
}

export class BatchNotFoundError extends DataQueueError {
  constructor(readonly batchId: string) {
    super(`batch ${batchId} does not exist`);
  }
}

/** A `createBatch` option is invalid, e.g. a callback key no `@OnBatch*` method declares. */
export class BatchOptionsInvalidError extends DataQueueError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`batch option "${field}" is invalid: ${detail}`);
  }
}

export class CronEntryNotFoundError extends DataQueueError {
  constructor(readonly key: string) {
    super(`cron entry "${key}" does not exist`);
  }
}

/**
 * `upsertCron` received an invalid entry; `field` names what is wrong (`schedule`, `timezone`,
 * `options.priority`…; empty when the entry is not an object), `key` is null when it is no string.
 */
export class CronEntryInvalidError extends DataQueueError {
  constructor(
    readonly key: string | null,
    readonly field: string,
    detail: string,
  ) {
    const entry = key === null ? 'cron entry' : `cron entry "${key}"`;
    super(field ? `${entry}: ${field} is invalid: ${detail}` : `${entry} is invalid: ${detail}`);
  }
}

/** `upsertCron` / `removeCron` on a key an app declares in code: only a deploy changes that entry. */
export class CronEntryDeclaredInCodeError extends DataQueueError {
  constructor(readonly key: string) {
    super(`cron entry "${key}" is declared in code: change or remove it in the app's code (enable, disable and run now work)`);
  }
}

/** An enqueue-side concurrency limit (totalLimit, enqueueLimit, enqueueThrottle) was reached; nothing was inserted. */
export class ConcurrencyLimitError extends DataQueueError {
  constructor(
    readonly jobType: string,
    readonly key: string,
    readonly limit: string,
  ) {
    super(`job type "${jobType}": concurrency key "${key}" is at its ${limit}; the job was not enqueued`);
  }
}

/**
 * A job type's enqueue-side rule keys jobs with a function, and this app has no handler for the
 * type to run it: the rule cannot be checked here, so nothing is enqueued.
 */
export class ConcurrencyKeyUnavailableError extends DataQueueError {
  constructor(
    readonly jobType: string,
    readonly rule: string,
  ) {
    super(
      `job type "${jobType}": ${rule} derives its key with a function, which only an app with the handler can run; ` +
        `enqueue from such an app, or give the rule a declarative key ({ payload: 'path' }, { tagPrefix }, { template }). ` +
        `Nothing was enqueued`,
    );
  }
}

/**
 * A job type's `fairShare` is a function, which only an app with the handler can run, and the
 * enqueue gave no `fairKey`: the job's tenant is unknown here, so nothing is enqueued rather than
 * queued under the default key.
 */
export class FairKeyUnavailableError extends DataQueueError {
  constructor(readonly jobType: string) {
    super(
      `job type "${jobType}": its fairShare derives the key with a function, which only an app with the handler can run; ` +
        `pass options.fairKey, enqueue from such an app, or make fairShare declarative ({ payload: 'path' }, { tagPrefix }, { template }). ` +
        `Nothing was enqueued`,
    );
  }
}

/**
 * An enqueue's idempotency key belongs to a job of another type. Keys are unique across job types,
 * and answering with that job would hand the caller a job it did not ask for: nothing is enqueued.
 */
export class IdempotencyKeyConflictError extends DataQueueError {
  constructor(
    readonly idempotencyKey: string,
    readonly jobType: string,
    readonly existingJobType: string,
    readonly existingJobId: string,
  ) {
    super(
      `idempotency key "${idempotencyKey}" of a "${jobType}" job is taken by job ${existingJobId} of type "${existingJobType}"; ` +
        `nothing was enqueued (keys are unique across job types: prefix them with the type)`,
    );
  }
}

/**
 * A job enqueued with `dependsOn` names a dependency that does not exist (`dependency`: its job
 * id, or its idempotency key). Nothing was enqueued.
 */
export class JobDependencyNotFoundError extends DataQueueError {
  constructor(
    readonly jobType: string,
    readonly field: string,
    readonly dependency: JobReference,
  ) {
    const named = 'id' in dependency ? `job ${dependency.id}` : `a job with idempotency key "${dependency.idempotencyKey}"`;
    super(`job type "${jobType}": ${field} names ${named}, which does not exist; nothing was enqueued`);
  }
}

/** `ctx.waitForToken` reached its timeout before the token was completed. */
export class WaitTimeoutError extends DataQueueError {
  constructor(readonly token: string) {
    super(`token "${token}" was not completed before its timeout`);
  }
}

/**
 * Postgres could not be reached (refused, dropped, restarting): the call failed fast and had
 * no effect unless it says otherwise; retry once the database is back.
 */
export class DatabaseUnavailableError extends DataQueueError {
  /** Where DataQueue tried to connect, when known (set at boot; never the password). */
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;

  constructor(message: string, options?: ErrorOptions & DatabaseTarget) {
    super(message, options);
    this.host = options?.host;
    this.port = options?.port;
    this.database = options?.database;
    this.user = options?.user;
  }
}

/** The server a connection goes to, for messages: no password. */
export interface DatabaseTarget {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
}

/**
 * A flow (`createFlow`) that cannot run: no steps, too many, a duplicate name, an `after` naming
 * no step, a cycle, or a step's options. `field` names the place (`steps.load.after[0]`). Nothing
 * was inserted.
 */
export class FlowInvalidError extends DataQueueError {
  constructor(
    readonly field: string,
    detail: string,
    /** The step's enqueue error (JobOptionsInvalidError, JobPayloadInvalidError), when that is the problem. */
    cause?: DataQueueError,
  ) {
    super(`flow ${field} is invalid: ${detail}; nothing was enqueued`, { cause });
  }
}
