import { Catch, HttpStatus } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import {
  BatchNotFoundError,
  BatchOptionsInvalidError,
  DataQueueError,
  JobNotFoundError,
  JobOptionsInvalidError,
  JobPayloadInvalidError,
  JobStateError,
  JobTypeUnknownError,
} from '@dataqueue/nestjs';
import type { Response } from 'express';

/** Turns DataQueue's typed errors into HTTP answers; anything else stays a 500. */
@Catch(DataQueueError)
export class DataQueueExceptionFilter implements ExceptionFilter {
  catch(error: DataQueueError, host: ArgumentsHost): void {
    const status = statusOf(error);
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(status)
      .json({ statusCode: status, error: error.name, message: error.message });
  }
}

function statusOf(error: DataQueueError): number {
  if (error instanceof JobNotFoundError || error instanceof BatchNotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof JobStateError) return HttpStatus.CONFLICT;
  if (
    error instanceof JobPayloadInvalidError ||
    error instanceof JobOptionsInvalidError ||
    error instanceof JobTypeUnknownError ||
    error instanceof BatchOptionsInvalidError
  ) {
    return HttpStatus.BAD_REQUEST;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
