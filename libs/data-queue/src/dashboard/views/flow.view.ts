import { actionForm, batchHeading, batchProgress, href, stateBadge } from './components.view.js';
import { flowGraph, layoutFlow } from './flow-graph.view.js';
import { html, type Html } from './html.js';
import { ALLOWED_JOB_ACTIONS } from './job.view.js';
import { layout } from './layout.view.js';
import { PAGE_BUDGET } from './page-budget.js';
import type { FlowPageModel, FlowStepView, PageContext } from './view-models.js';

/** A flow: its DAG drawn (within the page budget), its steps listed with a retry for each one discarded, and its batch's counts. */
export function flowView(ctx: PageContext, model: FlowPageModel): Html {
  const { i18n } = ctx;
  const { batch } = model;
  const title = i18n.t('flow.title', { id: batch.id });
  const batchPath = `/batches/${encodeURIComponent(batch.id)}`;
  return layout(ctx, {
    title,
    active: 'batches',
    body: html`<div class="page-head">
  ${batchHeading(ctx, title, batch, model.state)}
  <a href="${href(ctx, batchPath)}" data-testid="flow-batch">${i18n.t('flow.openBatch')}</a>
  ${
    ctx.readOnly
      ? ''
      : html`<div class="actions">${actionForm(ctx, {
          action: `/actions${batchPath}/cancel`,
          body: {},
          label: i18n.t('flow.cancel'),
          testId: 'flow-cancel',
          confirm: i18n.t('flow.confirmCancel'),
          danger: true,
        })}</div>`
  }
</div>
<div class="progress-row">${batchProgress(ctx, batch.counts)}<span>${i18n.t('batch.countsSummary', { ...batch.counts })}</span></div>
<section aria-labelledby="graph"><h2 id="graph">${i18n.t('flow.graph')}</h2>
  ${
    model.links
      ? flowGraph(ctx, layoutFlow(model.steps, model.links))
      : html`<p class="muted" data-testid="flow-too-large">${i18n.t('flow.tooLarge', {
          nodes: PAGE_BUDGET.flowGraphNodes,
          links: PAGE_BUDGET.flowGraphLinks,
        })}</p>`
  }</section>
<section aria-labelledby="steps"><h2 id="steps">${i18n.t('flow.steps')}</h2>
  ${stepsTable(ctx, model.steps)}
  ${
    model.steps.length < model.totalSteps
      ? html`<p class="muted" data-testid="truncated">${i18n.t('flow.firstSteps', { shown: model.steps.length, total: model.totalSteps })}
    <a href="${href(ctx, '/jobs', { batchId: batch.id })}">${i18n.t('batch.openInJobs')}</a></p>`
      : ''
  }
</section>`,
  });
}

function stepsTable(ctx: PageContext, steps: FlowStepView[]): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table class="steps">
    <thead><tr>
      <th>${i18n.t('flow.step')}</th><th>${i18n.t('job.id')}</th><th>${i18n.t('job.state')}</th>
      <th class="num">${i18n.t('job.attempts')}</th>${ctx.readOnly ? '' : html`<th></th>`}
    </tr></thead>
    <tbody>
      ${steps.map((step) => {
        const jobHref = href(ctx, `/jobs/${encodeURIComponent(step.id)}`);
        return html`<tr data-testid="step-row" data-job-id="${step.id}">
          <td><a href="${jobHref}">${step.name}</a></td>
          <td><a href="${jobHref}">${step.id}</a></td>
          <td>${stateBadge(ctx, step.state)}</td>
          <td class="num">${i18n.t('job.attemptsOf', { attempts: step.attempts, max: step.maxAttempts })}</td>
          ${ctx.readOnly ? '' : html`<td>${retryStep(ctx, step)}</td>`}
        </tr>`;
      })}
    </tbody>
  </table></div>`;
}

/** The job page's retry, for a step in a state it allows; the page reloads after it. */
function retryStep(ctx: PageContext, step: FlowStepView): Html | string {
  if (!ALLOWED_JOB_ACTIONS.retry.includes(step.state)) return '';
  return actionForm(ctx, {
    action: '/actions/jobs',
    body: { action: 'retry', ids: [step.id] },
    label: ctx.i18n.t('flow.retryStep'),
    testId: 'step-retry',
  });
}
