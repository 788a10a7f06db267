import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { JobHandlerOptions } from './job-handler.interfaces.js';

export interface JobHandlerMetadata {
  jobType: string;
  options: JobHandlerOptions;
}

/** Marks providers for discovery; read back by `JobHandlerExplorer`. */
export const JobHandlerDiscovery = DiscoveryService.createDecorator<JobHandlerMetadata>();

/**
 * Every `@JobHandler` class loaded in this process, with its job type. Discovery sees only
 * providers; this names the classes no module lists (see JobHandlerExplorer, JobTypeUnknownError).
 */
const decoratedClasses = new Map<Function, string>();

export function decoratedJobHandlers(): ReadonlyMap<Function, string> {
  return decoratedClasses;
}

/** Names of the loaded classes that declare `jobType`. */
export function classesDeclaring(jobType: string): string[] {
  return [...decoratedClasses].filter(([, type]) => type === jobType).map(([target]) => target.name);
}

/**
 * Declares the provider that runs jobs of `jobType` through its `handle(payload, ctx)` method.
 * The class is an ordinary provider: list it in a module's `providers`; constructor DI works.
 */
export function JobHandler(jobType: string, options: JobHandlerOptions = {}): ClassDecorator {
  const decorate = applyDecorators(Injectable(), JobHandlerDiscovery({ jobType, options }));
  return (target) => {
    decoratedClasses.set(target, jobType);
    return decorate(target);
  };
}
