import type { BatchRecord } from '../../core/batch-record.js';
import { actionForm, batchHeading, batchProgress, emptyState, href, jobsTable, pager } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import { jsonBlock } from './page-budget.js';
import type { BatchPageModel, PageContext } from './view-models.js';

/** The stored attributes, in the order GoodJob's batch page lists them (counts are shown apart). */
// prettier-ignore
const ATTRIBUTES = [
  'id', 'createdAt', 'updatedAt', 'description', 'properties', 'onFinish', 'onSuccess', 'onDiscard',
  'callbackQueueName', 'callbackPriority', 'enqueuedAt', 'discardedAt', 'finishedAt', 'jobsFinishedAt',
] as const satisfies readonly (keyof BatchRecord)[];

/** What the batch page shows as its attributes, and `attributes.json` serves whole. */
export function batchAttributes(batch: BatchRecord): Record<string, unknown> {
  return Object.fromEntries(ATTRIBUTES.map((name) => [name, batch[name]]));
}

export function batchView(ctx: PageContext, model: BatchPageModel): Html {
  const { i18n } = ctx;
  const { batch } = model;
  const title = i18n.t('batch.title', { id: batch.id });
  const path = `/batches/${encodeURIComponent(batch.id)}`;
  const action = `/actions${path}`;
  const jobsOfBatch = href(ctx, '/jobs', { batchId: batch.id });
  return layout(ctx, {
    title,
    active: 'batches',
    body: html`<div class="page-head">
  ${batchHeading(ctx, title, batch, model.state)}
  ${model.isFlow ? html`<a href="${href(ctx, `/flows/${encodeURIComponent(batch.id)}`)}" data-testid="batch-flow">${i18n.t('batch.openFlow')}</a>` : ''}
  ${
    ctx.readOnly
      ? ''
      : html`<div class="actions">
    ${actionForm(ctx, {
      action: `${action}/retry`,
      body: {},
      label: i18n.t('batch.retry'),
      testId: 'batch-retry',
      confirm: i18n.t('batch.confirmRetry'),
    })}
    ${actionForm(ctx, {
      action: `${action}/cancel`,
      body: {},
      label: i18n.t('batch.cancel'),
      testId: 'batch-cancel',
      confirm: i18n.t('batch.confirmCancel'),
      danger: true,
    })}
  </div>`
  }
</div>
<div class="progress-row">${batchProgress(ctx, batch.counts)}<span>${i18n.t('batch.countsSummary', { ...batch.counts })}</span></div>
<section aria-labelledby="attributes"><h2 id="attributes">${i18n.t('batch.attributes')}</h2>
  ${jsonBlock(ctx, batchAttributes(batch), { testId: 'batch-attributes', rawHref: `${ctx.basePath}${path}/attributes.json` })}</section>
<section aria-labelledby="callbacks"><h2 id="callbacks">${i18n.t('batch.callbackJobs')}</h2>
  ${model.callbackJobs.length ? jobsTable(ctx, model.callbackJobs, false) : emptyState(i18n.t('batch.noCallbackJobs'))}</section>
<section aria-labelledby="jobs">
  <h2 id="jobs">${i18n.t('batch.jobs')} <small><a href="${jobsOfBatch}">${i18n.t('batch.openInJobs')}</a></small></h2>
  ${model.jobs.length ? jobsTable(ctx, model.jobs, false) : emptyState(i18n.t('batch.noJobs'))}
  ${pager(ctx, path, {}, ctx.query.cursor, model.nextCursor)}
</section>`,
  });
}
