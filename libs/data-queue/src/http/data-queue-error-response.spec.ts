import { describe, expect, it } from '@jest/globals';
import {
  DatabaseUnavailableError,
  DataQueueOptionsInvalidError,
  JobOptionsInvalidError,
  JobTypeNotPublishedError,
  WaitTimeoutError,
} from '../core/data-queue.errors.js';
import { dataQueueErrorResponse } from './data-queue-error-response.js';

describe('dataQueueErrorResponse', () => {
  it('leaves out fields the error does not have', () => {
    expect(dataQueueErrorResponse(new JobOptionsInvalidError('runAt', 'must be a valid date'))).toEqual({
      statusCode: 400,
      error: 'JobOptionsInvalidError',
      message: 'option "runAt" is invalid: must be a valid date',
      field: 'runAt',
    });
  });

  it('maps a subclass as its parent, under its own name', () => {
    expect(dataQueueErrorResponse(new JobTypeNotPublishedError('report', 'data_queue'))).toMatchObject({
      statusCode: 404,
      error: 'JobTypeNotPublishedError',
      jobType: 'report',
    });
  });

  it('keeps the server out of a 503', () => {
    const error = new DatabaseUnavailableError('cannot connect to PostgreSQL database "app" at 10.0.0.7:5432', {
      host: '10.0.0.7',
      port: 5432,
      database: 'app',
    });
    expect(dataQueueErrorResponse(error)).toEqual({
      statusCode: 503,
      error: 'DatabaseUnavailableError',
      message: 'the job queue database is unavailable; retry later',
    });
  });

  it.each([new DataQueueOptionsInvalidError('url', 'set url'), new WaitTimeoutError('token-1')])(
    'answers an error no caller causes (%p) like any bug: 500 without its message',
    (error) => {
      expect(dataQueueErrorResponse(error)).toEqual({ statusCode: 500, error: error.name, message: 'Internal server error' });
    },
  );
});
