import { BATCH_STATES } from '../queries/batch-states.js';
import { batchProgress, batchStateBadge, emptyState, href, pager } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import { oneLine } from './page-budget.js';
import type { BatchState, BatchesPageModel, PageContext } from './view-models.js';

export function batchesView(ctx: PageContext, model: BatchesPageModel): Html {
  const { i18n } = ctx;
  const title = i18n.t('batches.title');
  const tab = (state: BatchState | undefined, label: string) =>
    html`<a href="${href(ctx, '/batches', { state })}"${state === model.state ? html` aria-current="page"` : ''}>${label}</a>`;
  return layout(ctx, {
    title,
    active: 'batches',
    body: html`<div class="page-head"><h1>${title}</h1></div>
<nav class="tabs" aria-label="${i18n.t('batches.filter')}">
  ${tab(undefined, i18n.t('batches.all'))}${BATCH_STATES.map((state) => tab(state, i18n.t(`batchState.${state}`)))}
</nav>
${model.batches.length ? batchesTable(ctx, model) : emptyState(i18n.t('batches.empty'))}
${pager(ctx, '/batches', { state: model.state }, ctx.query.cursor, model.nextCursor)}`,
  });
}

function batchesTable(ctx: PageContext, model: BatchesPageModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr>
    <th>${i18n.t('batch.id')}</th><th>${i18n.t('batch.description')}</th><th>${i18n.t('batch.state')}</th>
    <th>${i18n.t('batch.createdAt')}</th><th>${i18n.t('batch.enqueuedAt')}</th><th>${i18n.t('batch.finishedAt')}</th>
    <th class="num">${i18n.t('batch.total')}</th><th class="num">${i18n.t('batch.pending')}</th>
    <th class="num">${i18n.t('batch.succeeded')}</th><th class="num">${i18n.t('batch.discarded')}</th><th>${i18n.t('batch.progress')}</th>
  </tr></thead>
  <tbody>
    ${model.batches.map(
      ({ batch, state }) => html`<tr data-testid="batch-row" data-batch-id="${batch.id}">
        <td><a class="mono" href="${href(ctx, `/batches/${encodeURIComponent(batch.id)}`)}">${batch.id}</a></td>
        <td>${batch.description === null ? html`<span class="muted">—</span>` : oneLine(batch.description)}</td>
        <td>${batchStateBadge(ctx, state)}</td>
        <td>${i18n.date(batch.createdAt)}</td>
        <td>${i18n.date(batch.enqueuedAt)}</td>
        <td>${i18n.date(batch.finishedAt)}</td>
        <td class="num">${i18n.number(batch.counts.total)}</td>
        <td class="num">${i18n.number(batch.counts.pending)}</td>
        <td class="num">${i18n.number(batch.counts.succeeded)}</td>
        <td class="num">${i18n.number(batch.counts.discarded)}</td>
        <td>${batchProgress(ctx, batch.counts)}</td>
      </tr>`,
    )}
  </tbody>
</table></div>`;
}
