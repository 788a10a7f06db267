import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FlowRecord, JobRecord, QueueService } from '@dataqueue/nestjs';
import { waitForBatch, waitForBatchFinished } from './support/batches.js';
import {
  createDashboardApp,
  dashboardAppsOf,
  DashboardClient,
  escapeHtml,
  PLATFORMS,
  testIdsIn,
  titleOf,
  unescapeHtml,
  type DashboardApp,
  type Platform,
} from './support/dashboard-app.js';
import { translated } from './support/dashboard-locales.js';
import { NoteHandler, FlakyHandler } from './fixtures/dashboard-handlers.js';

/** Far in the future: the step stays pending until something is done to it. */
const LATER = { delayMs: 3_600_000 };
const XSS_SCRIPT = '<script>alert(1)</script>';
/** What the dashboard's page budget lets a flow page draw and list (views/page-budget.ts). */
const GRAPH_NODES = 200;
const GRAPH_LINKS = 1_000;
const LISTED_STEPS = 500;

const HANDLERS = [NoteHandler, FlakyHandler];

interface DrawnNode {
  jobId: string;
  state: string | null;
  href: string;
  classes: string[];
  title: string;
}

/** The nodes of the flow graph, in page order. */
function flowNodesIn(html: string): DrawnNode[] {
  return [...html.matchAll(/<a ([^>]*data-testid="flow-node"[^>]*)><title>([^<]*)<\/title>/g)].map(([, attributes, title]) => {
    const attribute = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(attributes)?.[1] ?? null;
    return {
      jobId: attribute('data-job-id')!,
      state: attribute('data-state'),
      href: unescapeHtml(attribute('href')!),
      classes: attribute('class')!.split(' '),
      title: unescapeHtml(title),
    };
  });
}

/** How many links the graph draws. */
function drawnLinksIn(html: string): number {
  return /<g class="flow-links">([\s\S]*?)<\/g>/.exec(html)?.[1].match(/<path /g)?.length ?? 0;
}

function stepRowsIn(html: string): string[] {
  return [...html.matchAll(/data-testid="step-row" data-job-id="(\d+)"/g)].map((match) => match[1]);
}

/** What the dashboard calls the job's state: `failed` with a next attempt is `retrying`. */
function stateOf(job: JobRecord): string {
  if (job.status === 'failed') return job.nextAttemptAt ? 'retrying' : 'failed';
  return job.status;
}

function stepJob(flow: FlowRecord, name: string): JobRecord {
  return flow.steps.find((step) => step.name === name)!.job;
}

describe.each(PLATFORMS)('the flow page on %s', (platform: Platform) => {
  let dash: DashboardApp;
  let queue: QueueService;
  let client: DashboardClient;
  /** fetch → parse (flaky) and render → report: parse failed, so report was cancelled. */
  let failed: FlowRecord;

  /** fetch → parse → report, render after fetch and report after render too; parse is flaky. */
  const runDiamond = async (description: string): Promise<FlowRecord> => {
    const flow = await queue
      .createFlow({ description })
      .step('fetch', 'note', { text: 'fetch' })
      .step('parse', 'flaky', {}, { after: ['fetch'] })
      .step('render', 'note', { text: 'render' }, { after: ['fetch'] })
      .step('report', 'note', { text: 'report' }, { after: ['parse', 'render'] })
      .run();
    await waitForBatchFinished(queue, flow.id);
    return (await queue.getFlow(flow.id))!;
  };

  beforeAll(async () => {
    dash = await createDashboardApp({ platform, providers: HANDLERS, options: { pollIntervalMs: 50 } });
    queue = dash.queue;
    client = await new DashboardClient(dash.baseUrl).session();
    failed = await runDiamond('nightly report');
  });

  afterAll(async () => {
    await dash?.close();
  });

  describe('the graph', () => {
    it('draws one node per step, in its state, linking to its job page, and a line for each "after"', async () => {
      const page = await client.page(`/flows/${failed.batch.id}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(page.html)).toBe(`Flow ${failed.batch.id} · DataQueue`);
      expect(page.html).toContain(`<h1>Flow ${failed.batch.id}</h1>`);

      const nodes = flowNodesIn(page.html);
      expect(nodes.map((node) => node.jobId).sort()).toEqual(failed.steps.map((step) => step.job.id).sort());
      for (const { name, job } of failed.steps) {
        const node = nodes.find((drawn) => drawn.jobId === job.id)!;
        expect({ name, state: node.state, title: node.title, href: node.href }).toEqual({
          name,
          state: stateOf(job),
          title: name,
          href: `/queue/jobs/${job.id}`,
        });
        expect(node.classes).toContain(`state-${stateOf(job)}`);
      }
      expect(stateOf(stepJob(failed, 'parse'))).toBe('failed');
      expect(stateOf(stepJob(failed, 'report'))).toBe('cancelled');
      expect(drawnLinksIn(page.html)).toBe(4);
      // A legend with every state's badge.
      for (const state of ['blocked', 'pending', 'processing', 'retrying', 'waiting', 'failed', 'cancelled', 'completed']) {
        expect(page.html).toContain(
          `<li><span class="badge state-${state}">${translated('en', `state.${state}` as 'state.failed')}</span></li>`,
        );
      }
    });

    it('places each step in the column of its longest path from a root', async () => {
      const flow = await queue
        .createFlow()
        .step('root', 'note', {}, LATER)
        .step('short', 'note', {}, { ...LATER, after: ['root'] })
        .step('long-1', 'note', {}, { ...LATER, after: ['root'] })
        .step('long-2', 'note', {}, { ...LATER, after: ['long-1'] })
        .step('join', 'note', {}, { ...LATER, after: ['short', 'long-2'] })
        .run();
      const { html } = await client.page(`/flows/${flow.id}`);
      const xOf = (name: string) =>
        Number(new RegExp(`data-job-id="${flow.steps[name].id}"[^>]*><title>[^<]*</title>\\s*<svg x="(\\d+)"`).exec(html)![1]);
      expect(xOf('short')).toBe(xOf('long-1'));
      expect(xOf('root')).toBeLessThan(xOf('long-1'));
      expect(xOf('long-1')).toBeLessThan(xOf('long-2'));
      expect(xOf('long-2')).toBeLessThan(xOf('join'));
    });

    it('draws a job outside the flow that a step runs after as a node of its own, dashed', async () => {
      const outside = await queue.enqueue('note', { text: 'outside' }, LATER);
      const flow = await queue
        .createFlow()
        .step('first', 'note', {}, { ...LATER, after: [{ jobId: outside.id }] })
        .step('second', 'note', {}, { ...LATER, after: ['first'] })
        .run();
      const { html } = await client.page(`/flows/${flow.id}`);
      const node = flowNodesIn(html).find((drawn) => drawn.jobId === outside.id)!;
      expect(node).toMatchObject({ state: 'pending', href: `/queue/jobs/${outside.id}`, title: `Job ${outside.id}, outside the flow` });
      expect(node.classes).toEqual(expect.arrayContaining(['flow-node', 'outside', 'state-pending']));
      expect(flowNodesIn(html)).toHaveLength(3);
      expect(drawnLinksIn(html)).toBe(2);
      expect(stepRowsIn(html)).toEqual([flow.steps.first.id, flow.steps.second.id]);
    });

    it('renders step names as text, cutting long ones in the node but not in its title', async () => {
      const long = `${'长'.repeat(30)}-end`;
      const flow = await queue
        .createFlow()
        .step(XSS_SCRIPT, 'note', {}, LATER)
        .step(long, 'note', {}, { ...LATER, after: [XSS_SCRIPT] })
        .run();
      const { html } = await client.page(`/flows/${flow.id}`);
      expect(html).not.toContain(XSS_SCRIPT);
      expect(html).toContain(`<title>${escapeHtml(XSS_SCRIPT)}</title>`);
      expect(html).toContain(`<text x="10" y="21">${escapeHtml(XSS_SCRIPT.slice(0, 21))}…</text>`);
      expect(html).toContain(`<td><a href="/queue/jobs/${flow.steps[XSS_SCRIPT].id}">${escapeHtml(XSS_SCRIPT)}</a></td>`);
      const longNode = flowNodesIn(html).find((node) => node.jobId === flow.steps[long].id)!;
      expect(longNode.title).toBe(long);
      expect(html).toContain(`<text x="10" y="21">${'长'.repeat(21)}…</text>`);
    });
  });

  describe('links between pages', () => {
    it('links the flow page to its batch page and back, and a step’s job page to its flow', async () => {
      const flowPage = await client.page(`/flows/${failed.batch.id}`);
      expect(flowPage.html).toMatch(new RegExp(`<a href="/queue/batches/${failed.batch.id}" data-testid="flow-batch">Open its batch</a>`));
      const batchPage = await client.page(`/batches/${failed.batch.id}`);
      expect(batchPage.html).toContain(`<a href="/queue/flows/${failed.batch.id}" data-testid="batch-flow">Open as a flow</a>`);
      const jobPage = await client.page(`/jobs/${stepJob(failed, 'parse').id}`);
      expect(jobPage.html).toContain(
        `<th scope="row">Flow step</th><td><a href="/queue/flows/${failed.batch.id}" data-testid="job-step">parse</a></td>`,
      );
    });

    it('gives a plain batch and its jobs no flow link', async () => {
      const batch = await queue.createBatch({ description: 'plain' });
      const [job] = await batch.add([{ jobType: 'note', payload: {}, options: LATER }]);
      expect(testIdsIn((await client.page(`/batches/${batch.id}`)).html)).not.toContain('batch-flow');
      expect(testIdsIn((await client.page(`/jobs/${job.id}`)).html)).not.toContain('job-step');
    });

    it('answers an unknown id, a malformed one, and a batch that is no flow with the 404 page', async () => {
      const plain = await queue.createBatch({ description: 'not a flow' });
      await plain.add([{ jobType: 'note', payload: {}, options: LATER }]);
      for (const path of [`/flows/${randomUUID()}`, '/flows/not-a-uuid', `/flows/${plain.id}`, `/flows/${stepJob(failed, 'fetch').id}`]) {
        const page = await client.page(path);
        expect({ path, status: page.status }).toEqual({ path, status: 404 });
        expect(testIdsIn(page.html)).toContain('message-404');
      }
    });
  });

  describe('actions', () => {
    it('offers a retry on the failed and the cancelled step only, and a cancel of the flow', async () => {
      const { html } = await client.page(`/flows/${failed.batch.id}`);
      const retried = [...html.matchAll(/data-body="([^"]*)"[\s\S]{0,400}?data-testid="step-retry"/g)].map(
        (match) => (JSON.parse(unescapeHtml(match[1])) as { ids: string[] }).ids[0],
      );
      expect(retried.sort()).toEqual([stepJob(failed, 'parse').id, stepJob(failed, 'report').id].sort());
      expect(html).toContain(`data-action="/queue/actions/batches/${failed.batch.id}/cancel"`);
      expect(testIdsIn(html)).toContain('flow-cancel');
    });

    it('retries a failed step through the job action: it runs, its cancelled dependent runs after it, the flow succeeds', async () => {
      const flow = await runDiamond('retry me');
      const parse = stepJob(flow, 'parse');
      const response = await client.post('/actions/jobs', { action: 'retry', ids: [parse.id] });
      expect(response).toEqual({ status: 200, body: { affected: 1, errors: [], next: null } });
      const finished = await waitForBatch(queue, flow.batch.id, (batch) => batch.counts.succeeded === 4 && batch.finishedAt !== null);
      expect(finished.counts).toEqual({ total: 4, pending: 0, succeeded: 4, discarded: 0 });
      const { html } = await client.page(`/flows/${flow.batch.id}`);
      expect(flowNodesIn(html).map((node) => node.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
      expect(testIdsIn(html)).not.toContain('step-retry');
    });

    it('cancels the flow through the batch action: every unfinished step is cancelled', async () => {
      const flow = await queue
        .createFlow()
        .step('wait', 'note', {}, LATER)
        .step('then', 'note', {}, { after: ['wait'] })
        .run();
      const response = await client.post(`/actions/batches/${flow.id}/cancel`, {});
      expect(response.status).toBe(200);
      await waitForBatchFinished(queue, flow.id);
      const { html } = await client.page(`/flows/${flow.id}`);
      expect(flowNodesIn(html).map((node) => node.state)).toEqual(['cancelled', 'cancelled']);
      expect(html).toContain('class="badge batch-discarded"');
    });

    describe('read-only mode', () => {
      const boot = dashboardAppsOf(platform, HANDLERS);

      it('renders neither the step retry nor the flow cancel', async () => {
        const readOnly = await boot({ public: true, readOnly: true });
        const flow = await readOnly.queue.createFlow().step('only', 'note', {}).run();
        await readOnly.queue.cancelJob(flow.steps.only.id);
        const { status, html } = await new DashboardClient(readOnly.baseUrl).page(`/flows/${flow.id}`);
        expect(status).toBe(200);
        expect(flowNodesIn(html).map((node) => node.state)).toEqual(['cancelled']);
        expect(html).not.toContain('data-action=');
        expect(testIdsIn(html)).not.toEqual(expect.arrayContaining(['step-retry']));
        expect(testIdsIn(html)).not.toContain('flow-cancel');
      });
    });
  });
});

describe('the flow page stays within its budget', () => {
  let dash: DashboardApp;
  let client: DashboardClient;

  beforeAll(async () => {
    // Enqueue-only: the steps stay as inserted.
    dash = await createDashboardApp({ providers: HANDLERS, options: { mode: 'external' } });
    client = await new DashboardClient(dash.baseUrl).session();
  });

  afterAll(async () => {
    await dash?.close();
  });

  const flowOf = async (steps: number, after: (i: number) => string[] = () => []) => {
    let builder = dash.queue.createFlow();
    for (let i = 0; i < steps; i++) builder = builder.step(`s${i}`, 'note', {}, { after: after(i) });
    return builder.run();
  };

  it(`draws a flow of ${GRAPH_NODES} steps`, async () => {
    const flow = await flowOf(GRAPH_NODES, (i) => (i === 0 ? [] : ['s0']));
    const { html } = await client.page(`/flows/${flow.id}`);
    expect(flowNodesIn(html)).toHaveLength(GRAPH_NODES);
    expect(drawnLinksIn(html)).toBe(GRAPH_NODES - 1);
    expect(testIdsIn(html)).not.toContain('flow-too-large');
  });

  it(`lists but does not draw a flow of ${GRAPH_NODES + 1} steps, saying why`, async () => {
    const flow = await flowOf(GRAPH_NODES + 1);
    const { html } = await client.page(`/flows/${flow.id}`);
    expect(flowNodesIn(html)).toHaveLength(0);
    expect(html).toContain(escapeHtml(translated('en', 'flow.tooLarge', { nodes: GRAPH_NODES, links: '1,000' })));
    expect(stepRowsIn(html)).toHaveLength(GRAPH_NODES + 1);
  });

  it(`does not draw a flow of few steps but more than ${GRAPH_LINKS} links`, async () => {
    // Step i runs after every step before it: 50 steps, 1,225 links.
    const flow = await flowOf(50, (i) => Array.from({ length: i }, (_, j) => `s${j}`));
    const { html } = await client.page(`/flows/${flow.id}`);
    expect(flowNodesIn(html)).toHaveLength(0);
    expect(testIdsIn(html)).toContain('flow-too-large');
    expect(stepRowsIn(html)).toHaveLength(50);
  });

  it('answers the page of a 10,000-step flow quickly, listing its first steps only', async () => {
    const flow = await flowOf(10_000, (i) => (i === 0 ? [] : ['s0']));
    const started = Date.now();
    const { status, html } = await client.page(`/flows/${flow.id}`);
    const elapsedMs = Date.now() - started;
    expect(status).toBe(200);
    expect(elapsedMs).toBeLessThan(2_000);
    expect(html.length).toBeLessThan(1_000_000);
    const rows = stepRowsIn(html);
    expect(rows).toHaveLength(LISTED_STEPS);
    expect(rows[0]).toBe(flow.steps.s0.id);
    expect(html).toContain(escapeHtml(translated('en', 'flow.firstSteps', { shown: LISTED_STEPS, total: '10,000' })));
    expect(html).toContain(`href="/queue/jobs?batchId=${flow.id}"`);
  });
});
