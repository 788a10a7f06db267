import { Injectable } from '@nestjs/common';
import { DuplicateJobHandlerError } from '../core/data-queue.errors.js';
import type { JobHandlerInstance, JobHandlerOptions } from './job-handler.interfaces.js';

export interface RegisteredHandler {
  jobType: string;
  options: JobHandlerOptions;
  instance: JobHandlerInstance;
  /** Provider class name, for messages. */
  name: string;
}

/** The job types this application can run, filled at boot by `JobHandlerExplorer`. */
@Injectable()
export class HandlerRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  register(handler: RegisteredHandler): void {
    const existing = this.handlers.get(handler.jobType);
    if (existing) throw new DuplicateJobHandlerError(handler.jobType, [existing.name, handler.name]);
    this.handlers.set(handler.jobType, handler);
  }

  get(jobType: string): RegisteredHandler | undefined {
    return this.handlers.get(jobType);
  }

  all(): RegisteredHandler[] {
    return [...this.handlers.values()];
  }
}
