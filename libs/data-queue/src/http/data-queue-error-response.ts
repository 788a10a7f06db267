import {
  BatchNotFoundError,
  BatchOptionsInvalidError,
  ConcurrencyKeyUnavailableError,
  FairKeyUnavailableError,
  ConcurrencyLimitError,
  CronEntryDeclaredInCodeError,
  CronEntryInvalidError,
  CronEntryNotFoundError,
  DatabaseUnavailableError,
  type DataQueueError,
  FlowInvalidError,
  IdempotencyKeyConflictError,
  JobDependencyNotFoundError,
  JobNotFoundError,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  JobStateError,
  JobTypeUnknownError,
} from '../core/data-queue.errors.js';

/** The JSON body `DataQueueExceptionFilter` answers with: the error's class, message and fields. */
export interface DataQueueErrorResponse {
  statusCode: number;
  /** The error's class name, e.g. `JobPayloadInvalidError`. */
  error: string;
  message: string;
  /** The error's fields: `violations`, `field`, `jobType`, `jobId`, `key`, `limit`… */
  [field: string]: unknown;
}

interface Mapping<E extends DataQueueError> {
  type: abstract new (...args: never[]) => E;
  status: number;
  fields: (error: E) => Record<string, unknown>;
}

const mapping = <E extends DataQueueError>(
  type: Mapping<E>['type'],
  status: number,
  fields: Mapping<E>['fields'],
): Mapping<DataQueueError> => ({ type, status, fields: fields as Mapping<DataQueueError>['fields'] });

/** First match wins (a subclass such as JobTypeNotPublishedError maps as its parent). */
const MAPPINGS = [
  mapping(JobPayloadInvalidError, 400, (e) => ({ jobType: e.jobType, violations: e.violations, index: e.index })),
  mapping(JobOptionsInvalidError, 400, (e) => ({ field: e.field, jobType: e.jobType, index: e.index })),
  mapping(BatchOptionsInvalidError, 400, (e) => ({ field: e.field })),
  mapping(FlowInvalidError, 400, (e) => ({ field: e.field })),
  mapping(CronEntryInvalidError, 400, (e) => ({ key: e.key, field: e.field })),
  mapping(JobNotFoundError, 404, (e) => ({ jobId: e.jobId })),
  mapping(JobDependencyNotFoundError, 404, (e) => ({ jobType: e.jobType, field: e.field, dependency: e.dependency })),
  mapping(BatchNotFoundError, 404, (e) => ({ batchId: e.batchId })),
  mapping(CronEntryNotFoundError, 404, (e) => ({ key: e.key })),
  mapping(JobTypeUnknownError, 404, (e) => ({ jobType: e.jobType })),
  mapping(IdempotencyKeyConflictError, 409, (e) => ({
    idempotencyKey: e.idempotencyKey,
    jobType: e.jobType,
    existingJobType: e.existingJobType,
    existingJobId: e.existingJobId,
  })),
  mapping(CronEntryDeclaredInCodeError, 409, (e) => ({ key: e.key })),
  mapping(JobStateError, 409, (e) => ({ jobId: e.jobId, status: e.status, action: e.action, allowedFrom: e.allowedFrom })),
  mapping(ConcurrencyLimitError, 429, (e) => ({ jobType: e.jobType, key: e.key, limit: e.limit })),
  // The caller cannot fix these: this app lacks the handler a key function lives in. A 500
  // (not a 4xx) so they reach server-error alerting; the message says what to change.
  mapping(ConcurrencyKeyUnavailableError, 500, (e) => ({ jobType: e.jobType, rule: e.rule })),
  mapping(FairKeyUnavailableError, 500, (e) => ({ jobType: e.jobType })),
];

/**
 * The HTTP answer for a DataQueue error. Client errors carry the error's message and fields.
 * Server errors do not: DatabaseUnavailableError's message names the database server, and the
 * remaining errors (boot-time, inside handlers) are bugs, answered like Nest answers any bug.
 */
export function dataQueueErrorResponse(error: DataQueueError): DataQueueErrorResponse {
  if (error instanceof DatabaseUnavailableError) {
    return { statusCode: 503, error: error.name, message: 'the job queue database is unavailable; retry later' };
  }
  const found = MAPPINGS.find(({ type }) => error instanceof type);
  if (!found) return { statusCode: 500, error: error.name, message: 'Internal server error' };
  const fields = Object.fromEntries(Object.entries(found.fields(error)).filter(([, value]) => value !== undefined));
  return { statusCode: found.status, error: error.name, message: error.message, ...fields };
}
