import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { concurrencyRuleProblem } from '../core/concurrency-rule.js';
import { fairShareSpecProblem } from '../core/fair-share.js';
import type { ResolvedDataQueueOptions } from '../core/data-queue-options.js';
import { DATA_QUEUE_OPTIONS } from '../core/data-queue.constants.js';
import { DataQueueError, JobOptionsInvalidError } from '../core/data-queue.errors.js';
import { decoratedJobHandlers } from '../core/job-handler-classes.js';
import { isValidJobType, JOB_TYPE, validateBackoff, validateJobSettings } from '../core/job-settings.validation.js';
import { HandlerRegistry } from './handler-registry.js';
import { JobHandlerDiscovery } from './job-handler.decorator.js';
import type { JobHandlerInstance } from './job-handler.interfaces.js';
import { isEnqueueOnly, unprovidedClasses } from './unprovided-classes.js';

/** Finds every `@JobHandler` provider at boot and registers it; no manual registration. */
@Injectable()
export class JobHandlerExplorer implements OnModuleInit {
  private readonly logger = new Logger('DataQueue');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly registry: HandlerRegistry,
    @Inject(DATA_QUEUE_OPTIONS) private readonly options: ResolvedDataQueueOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: JobHandlerDiscovery.KEY })) {
      const { jobType, options } = this.discovery.getMetadataByDecorator(JobHandlerDiscovery, wrapper)!;
      const instance = wrapper.instance as JobHandlerInstance | undefined;
      const name = wrapper.metatype?.name ?? String(wrapper.token);
      if (!isValidJobType(jobType)) {
        // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- `never` here is a value the type guard refused
        throw new DataQueueError(`@JobHandler('${jobType}') on ${name}: a job type must match ${JOB_TYPE}`);
      }
      if (typeof instance?.handle !== 'function') {
        throw new DataQueueError(`@JobHandler('${jobType}') class ${name} must have a handle(payload, ctx) method`);
      }
      const { backoff, payload: _dto, cron: _cron, concurrency, fairShare, ...settings } = options;
      validateJobSettings(settings, { jobType });
      const problem = concurrency === undefined ? null : [concurrency].flat().map(concurrencyRuleProblem).find(Boolean);
      if (problem) throw new JobOptionsInvalidError('concurrency', problem, jobType);
      const unfair = fairShare === undefined ? null : fairShareSpecProblem(fairShare);
      if (unfair) throw new JobOptionsInvalidError('fairShare', unfair, jobType);
      if (backoff !== undefined) validateBackoff(backoff, { jobType });
      this.registry.register({ jobType, options, instance, name });
    }
    this.reportUnprovided();
  }

  /**
   * A warning, not a boot failure: a file of handler classes is often loaded by an app that only
   * enqueues (for its constants) while only the worker app provides them.
   */
  private reportUnprovided(): void {
    for (const [target, jobType] of unprovidedClasses(decoratedJobHandlers(), this.discovery)) {
      if (this.registry.get(jobType)) continue; // another provider runs the type
      if (isEnqueueOnly(this.options)) {
        this.logger.debug(`@JobHandler('${jobType}') class ${target.name} is not provided in this enqueue-only app`);
        continue;
      }
      const rejected = this.options.strictJobTypes ? ` and enqueue rejects them (JobTypeUnknownError)` : '';
      this.logger.warn(
        `@JobHandler('${jobType}') class ${target.name} is not in any module's providers, so this app never runs ` +
          `"${jobType}" jobs${rejected}: add ${target.name} to the providers of a module this app imports, unless ` +
          `only another app (your workers) should run it`,
      );
    }
  }
}
