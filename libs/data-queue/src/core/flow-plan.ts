import { FlowInvalidError } from './data-queue.errors.js';
import { MAX_FLOW_STEPS, type FlowStep, type StepDependency } from './flow.js';

/** A step with its `after` split: the steps of the flow it runs after, and the existing jobs. */
export interface PlannedStep extends FlowStep {
  afterSteps: string[];
}

/**
 * Checks a flow's shape and orders its steps in levels: each step comes in the level after the
 * last of the steps it runs after, so a level only depends on levels inserted before it.
 * Every problem is a FlowInvalidError naming its place, found before anything is inserted.
 */
export function planFlow(steps: FlowStep[]): PlannedStep[][] {
  if (steps.length === 0) throw new FlowInvalidError('steps', 'a flow needs at least one step');
  if (steps.length > MAX_FLOW_STEPS) throw new FlowInvalidError('steps', `a flow has at most ${MAX_FLOW_STEPS} steps, got ${steps.length}`);
  const byName = new Map<string, PlannedStep>();
  steps.forEach((step, i) => {
    if (typeof step.name !== 'string' || step.name.length === 0 || step.name.length > 200) {
      throw new FlowInvalidError(`steps[${i}].name`, 'must be a string of 1-200 characters');
    }
    if (byName.has(step.name)) throw new FlowInvalidError(`steps.${step.name}`, 'another step has this name');
    if (typeof step.options !== 'object' || step.options === null)
      throw new FlowInvalidError(`steps.${step.name}`, 'options must be an object');
    byName.set(step.name, { ...step, afterSteps: [] });
  });
  for (const step of byName.values()) step.afterSteps = afterStepsOf(step, byName);
  return levelsOf(byName);
}

function afterStepsOf(step: FlowStep, byName: Map<string, FlowStep>): string[] {
  const after: unknown = step.options.after ?? [];
  if (!Array.isArray(after)) throw new FlowInvalidError(`steps.${step.name}.after`, 'must be an array');
  return after.flatMap((entry: unknown, i) => {
    const field = `steps.${step.name}.after[${i}]`;
    if (typeof entry === 'string') {
      if (entry === step.name) throw new FlowInvalidError(field, 'a step cannot run after itself');
      if (!byName.has(entry)) throw new FlowInvalidError(field, `names no step of this flow: "${entry}"`);
      return [entry];
    }
    if (!isExistingJob(entry)) throw new FlowInvalidError(field, 'must be a step name, { jobId } or { idempotencyKey }');
    return [];
  });
}

function isExistingJob(entry: unknown): entry is Exclude<StepDependency, string> {
  if (typeof entry !== 'object' || entry === null) return false;
  const value = 'jobId' in entry ? entry.jobId : 'idempotencyKey' in entry ? entry.idempotencyKey : undefined;
  return typeof value === 'string' && value.length > 0;
}

/** Kahn's algorithm, level by level; the steps left over are on a cycle or after one. */
function levelsOf(byName: Map<string, PlannedStep>): PlannedStep[][] {
  const waitingFor = new Map([...byName.values()].map((step) => [step.name, new Set(step.afterSteps).size]));
  const dependents = new Map<string, PlannedStep[]>();
  for (const step of byName.values()) {
    for (const name of new Set(step.afterSteps)) dependents.set(name, [...(dependents.get(name) ?? []), step]);
  }
  const levels: PlannedStep[][] = [];
  let level = [...byName.values()].filter((step) => waitingFor.get(step.name) === 0);
  let placed = 0;
  while (level.length > 0) {
    levels.push(level);
    placed += level.length;
    const next: PlannedStep[] = [];
    for (const step of level) {
      for (const dependent of dependents.get(step.name) ?? []) {
        const left = waitingFor.get(dependent.name)! - 1;
        waitingFor.set(dependent.name, left);
        if (left === 0) next.push(dependent);
      }
    }
    level = next;
  }
  if (placed < byName.size) {
    const cycle = cycleAmong(byName, (name) => waitingFor.get(name)! > 0);
    throw new FlowInvalidError(`steps.${cycle[0]}.after`, `the steps form a cycle: ${cycle.join(' after ')}`);
  }
  return levels;
}

/** A cycle among the unplaced steps: each waits for an unplaced step, so following those must come back. */
function cycleAmong(byName: Map<string, PlannedStep>, unplaced: (name: string) => boolean): string[] {
  const path: string[] = [];
  let name = [...byName.keys()].find(unplaced)!;
  while (!path.includes(name)) {
    path.push(name);
    name = byName.get(name)!.afterSteps.find(unplaced)!;
  }
  return [...path.slice(path.indexOf(name)), name];
}
