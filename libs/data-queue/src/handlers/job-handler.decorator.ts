import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { rememberJobHandlerClass } from '../core/job-handler-classes.js';
import type { JobHandlerOptions } from './job-handler.interfaces.js';

export interface JobHandlerMetadata {
  jobType: string;
  options: JobHandlerOptions;
}

/** Marks providers for discovery; read back by `JobHandlerExplorer`. */
export const JobHandlerDiscovery = DiscoveryService.createDecorator<JobHandlerMetadata>();

/**
 * Declares the provider that runs jobs of `jobType` through its `handle(payload, ctx)` method.
 * The class is an ordinary provider: list it in a module's `providers`; constructor DI works.
 */
export function JobHandler(jobType: string, options: JobHandlerOptions = {}): ClassDecorator {
  const decorate = applyDecorators(Injectable(), JobHandlerDiscovery({ jobType, options }));
  return (target) => {
    rememberJobHandlerClass(target, jobType);
    return decorate(target);
  };
}
