import { describe, expect, it } from '@jest/globals';
import type { JobState } from '../../core/job-states.js';
import { layoutFlow } from './flow-graph.view.js';
import type { FlowLinkView, FlowStepView } from './view-models.js';

const step = (id: string, name: string, state: JobState = 'pending'): FlowStepView => ({ id, name, state, attempts: 0, maxAttempts: 3 });
const afterStep = (jobId: string, dependsOnId: string): FlowLinkView => ({
  jobId,
  dependsOnId,
  dependsOnStep: true,
  dependencyState: 'pending',
});

/** Each node's column and row, by name (or `#id` for an outside job). */
function grid(layout: ReturnType<typeof layoutFlow>): Record<string, [number, number]> {
  const xs = [...new Set(layout.nodes.map((node) => node.x))].sort((a, b) => a - b);
  const ys = [...new Set(layout.nodes.map((node) => node.y))].sort((a, b) => a - b);
  return Object.fromEntries(layout.nodes.map((node) => [node.name ?? `#${node.jobId}`, [xs.indexOf(node.x), ys.indexOf(node.y)]]));
}

describe('layoutFlow', () => {
  it('puts each step in the column of its longest path from a root, in insertion order within a column', () => {
    // a → b → c → e, a → d → e: e's longest path is through b and c.
    const steps = [step('1', 'a'), step('2', 'b'), step('3', 'c'), step('4', 'd'), step('5', 'e')];
    const links = [afterStep('2', '1'), afterStep('3', '2'), afterStep('4', '1'), afterStep('5', '3'), afterStep('5', '4')];
    const layout = layoutFlow(steps, links);
    expect(grid(layout)).toEqual({ a: [0, 0], b: [1, 0], d: [1, 1], c: [2, 0], e: [3, 0] });
    expect(layout.links.map(({ from, to }) => `${from.name}→${to.name}`)).toEqual(['a→b', 'b→c', 'a→d', 'c→e', 'd→e']);
    expect({ width: layout.width, height: layout.height }).toEqual({ width: 8 + 4 * 176 + 3 * 64 + 8, height: 8 + 2 * 34 + 12 + 8 });
  });

  it('puts the outside jobs the steps run after in a first column, once each, a deleted one without a state', () => {
    const steps = [step('10', 'first'), step('11', 'second')];
    const links: FlowLinkView[] = [
      { jobId: '10', dependsOnId: '3', dependsOnStep: false, dependencyState: 'completed' },
      { jobId: '10', dependsOnId: '4', dependsOnStep: false, dependencyState: null },
      { jobId: '11', dependsOnId: '3', dependsOnStep: false, dependencyState: 'completed' },
      afterStep('11', '10'),
    ];
    const layout = layoutFlow(steps, links);
    expect(grid(layout)).toEqual({ '#3': [0, 0], '#4': [0, 1], first: [1, 0], second: [2, 0] });
    expect(layout.nodes.filter((node) => node.name === null).map((node) => node.state)).toEqual(['completed', null]);
    expect(layout.links).toHaveLength(4);
  });
});
