/**
 * Every `@JobHandler` class loaded in this process, with its job type. Discovery sees only
 * providers; this names the classes no module lists (see JobHandlerExplorer, JobTypeUnknownError).
 */
const decoratedClasses = new Map<Function, string>();

/** `@JobHandler(jobType)` decorated `target`. */
export function rememberJobHandlerClass(target: Function, jobType: string): void {
  decoratedClasses.set(target, jobType);
}

export function decoratedJobHandlers(): ReadonlyMap<Function, string> {
  return decoratedClasses;
}

/** Names of the loaded classes that declare `jobType`. */
export function classesDeclaring(jobType: string): string[] {
  return [...decoratedClasses].filter(([, type]) => type === jobType).map(([target]) => target.name);
}
