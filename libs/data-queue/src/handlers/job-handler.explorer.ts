import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DataQueueError, JobOptionsInvalidError } from '../errors/data-queue.errors.js';
import { concurrencyRuleProblem } from '../scheduling/concurrency/concurrency-rule.js';
import { isValidJobType, JOB_TYPE, validateBackoff, validateJobSettings } from '../queue/job-settings.validation.js';
import { HandlerRegistry } from './handler-registry.js';
import { JobHandlerDiscovery } from './job-handler.decorator.js';
import type { JobHandlerInstance } from './job-handler.interfaces.js';

/** Finds every `@JobHandler` provider at boot and registers it; no manual registration. */
@Injectable()
export class JobHandlerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly registry: HandlerRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: JobHandlerDiscovery.KEY })) {
      const { jobType, options } = this.discovery.getMetadataByDecorator(JobHandlerDiscovery, wrapper)!;
      const instance = wrapper.instance as JobHandlerInstance | undefined;
      const name = wrapper.metatype?.name ?? String(wrapper.token);
      if (!isValidJobType(jobType)) {
        throw new DataQueueError(`@JobHandler('${jobType}') on ${name}: a job type must match ${JOB_TYPE}`);
      }
      if (typeof instance?.handle !== 'function') {
        throw new DataQueueError(`@JobHandler('${jobType}') class ${name} must have a handle(payload, ctx) method`);
      }
      const { backoff, payload: _dto, cron: _cron, concurrency, ...settings } = options;
      validateJobSettings(settings, { jobType });
      const problem = concurrency === undefined ? null : [concurrency].flat().map(concurrencyRuleProblem).find(Boolean);
      if (problem) throw new JobOptionsInvalidError('concurrency', problem, jobType);
      if (backoff !== undefined) validateBackoff(backoff, { jobType });
      this.registry.register({ jobType, options, instance, name });
    }
  }
}
