import type { StepDependency } from '../../core/flow.js';
import { planFlow } from '../../core/flow-plan.js';
import { JOB_STATES, type JobState } from '../../core/job-states.js';
import { href, stateBadge } from './components.view.js';
import { html, type Html } from './html.js';
import type { FlowLinkView, FlowStepView, PageContext } from './view-models.js';

/** Sizes in px: a node's box, the gaps between columns and rows, the margin, and the characters of a label. */
const NODE = { width: 176, height: 34, columnGap: 64, rowGap: 12, margin: 8, labelChars: 22 } as const;

interface GraphNode {
  jobId: string;
  /** The step's name; null for a job outside the flow. */
  name: string | null;
  state: JobState | null;
  x: number;
  y: number;
}

export interface FlowLayout {
  nodes: GraphNode[];
  links: { from: GraphNode; to: GraphNode }[];
  width: number;
  height: number;
}

/**
 * Places the nodes in columns, left to right: the outside jobs the steps run after first, then
 * each step in the column of its level (the longest path from a root, as `planFlow` orders a
 * flow's inserts), in the order the flow inserted them.
 */
export function layoutFlow(steps: FlowStepView[], links: FlowLinkView[]): FlowLayout {
  const nodes = new Map<string, GraphNode>(
    steps.map((step) => [step.id, { jobId: step.id, name: step.name, state: step.state, x: 0, y: 0 }]),
  );
  const outside: GraphNode[] = [];
  const after = new Map<string, StepDependency[]>();
  for (const link of links) {
    if (!link.dependsOnStep && !nodes.has(link.dependsOnId)) {
      const node = { jobId: link.dependsOnId, name: null, state: link.dependencyState, x: 0, y: 0 };
      nodes.set(node.jobId, node);
      outside.push(node);
    }
    const dependencies = after.get(link.jobId) ?? [];
    dependencies.push(link.dependsOnStep ? nodes.get(link.dependsOnId)!.name! : { jobId: link.dependsOnId });
    after.set(link.jobId, dependencies);
  }
  // planFlow reads only the steps' names and `after`: the levels are the ones the flow was inserted in.
  const levels = planFlow(
    steps.map((step) => ({ name: step.name, jobType: '', payload: null, options: { after: after.get(step.id) ?? [] } })),
  );
  const byName = new Map(steps.map((step) => [step.name, nodes.get(step.id)!]));
  const columns = [...(outside.length > 0 ? [outside] : []), ...levels.map((level) => level.map((step) => byName.get(step.name)!))];
  columns.forEach((column, c) =>
    column.forEach((node, r) => {
      node.x = NODE.margin + c * (NODE.width + NODE.columnGap);
      node.y = NODE.margin + r * (NODE.height + NODE.rowGap);
    }),
  );
  const rows = Math.max(...columns.map((column) => column.length));
  return {
    nodes: columns.flat(),
    links: links.map((link) => ({ from: nodes.get(link.dependsOnId)!, to: nodes.get(link.jobId)! })),
    width: 2 * NODE.margin + columns.length * (NODE.width + NODE.columnGap) - NODE.columnGap,
    height: 2 * NODE.margin + rows * (NODE.height + NODE.rowGap) - NODE.rowGap,
  };
}

/** The flow's DAG as inline SVG: each node links to its job's page and wears its state's tone; a legend of the states below. */
export function flowGraph(ctx: PageContext, layout: FlowLayout): Html {
  const { i18n } = ctx;
  const hasOutside = layout.nodes.some((node) => node.name === null);
  return html`<div class="flow-graph">
  <svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}"
    aria-label="${i18n.t('flow.graphLabel')}" data-testid="flow-graph">
    <defs><marker id="flow-arrow" class="flow-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">
      <path d="M0 0 L8 4 L0 8 z"/></marker></defs>
    <g class="flow-links">${layout.links.map(({ from, to }) => html`<path d="${linkPath(from, to)}" marker-end="url(#flow-arrow)"/>`)}</g>
    ${layout.nodes.map((node) => graphNode(ctx, node))}
  </svg>
</div>
<ul class="legend" aria-label="${i18n.t('flow.legend')}">
  ${JOB_STATES.map((state) => html`<li>${stateBadge(ctx, state)}</li>`)}
  ${hasOutside ? html`<li>${i18n.t('flow.outsideLegend')}</li>` : ''}
</ul>`;
}

function graphNode(ctx: PageContext, node: GraphNode): Html {
  const title = node.name ?? ctx.i18n.t('flow.outsideJob', { id: node.jobId });
  const classes = `flow-node${node.name === null ? ' outside' : ''}${node.state ? ` state-${node.state}` : ''}`;
  // The inner <svg> clips a label too wide for its box (wide scripts fill it before the character cut).
  return html`<a href="${href(ctx, `/jobs/${encodeURIComponent(node.jobId)}`)}" class="${classes}" data-testid="flow-node"
    data-job-id="${node.jobId}"${node.state ? html` data-state="${node.state}"` : ''}><title>${title}</title>
    <svg x="${node.x}" y="${node.y}" width="${NODE.width}" height="${NODE.height}"><rect x="1" y="1" width="${NODE.width - 2}"
      height="${NODE.height - 2}" rx="6"/><text x="10" y="${NODE.height / 2 + 4}">${label(node.name ?? `#${node.jobId}`)}</text></svg></a>`;
}

/** A curve from the right side of `from` to the left side of `to`. */
function linkPath(from: GraphNode, to: GraphNode): string {
  const [x1, y1] = [from.x + NODE.width, from.y + NODE.height / 2];
  const [x2, y2] = [to.x, to.y + NODE.height / 2];
  const middle = (x1 + x2) / 2;
  return `M${x1} ${y1} C${middle} ${y1} ${middle} ${y2} ${x2} ${y2}`;
}

/** The first characters of a name (whole code points), ending in "…" when cut. */
function label(name: string): string {
  const chars = Array.from(name);
  return chars.length <= NODE.labelChars ? name : `${chars.slice(0, NODE.labelChars - 1).join('')}…`;
}
