import { JOB_STATES } from '../../core/job-states.js';
import { emptyState, href, jobsTable, pager, runAtInput } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import type { JobsFilter, JobsPageModel, PageContext } from './view-models.js';

export function jobsView(ctx: PageContext, model: JobsPageModel): Html {
  const { i18n } = ctx;
  const { cursor, ...filter } = model.filter;
  const title = i18n.t('jobs.title');
  return layout(ctx, {
    title,
    active: 'jobs',
    body: html`<div class="page-head"><h1>${title}</h1></div>
${filterForm(ctx, model)}
${
  model.searchTimedOutAfterMs !== null
    ? html`<p class="flash error" role="status" data-testid="search-timed-out">${i18n.t('jobs.searchTimedOut', {
        seconds: model.searchTimedOutAfterMs / 1000,
      })}</p>`
    : model.jobs.length
      ? html`${ctx.readOnly ? '' : bulkToolbar(ctx, filter)}${jobsTable(ctx, model.jobs, !ctx.readOnly)}`
      : emptyState(i18n.t(Object.values(filter).some(Boolean) ? 'jobs.emptyFiltered' : 'jobs.empty'))
}
${pager(ctx, '/jobs', { ...filter }, cursor, model.nextCursor)}`,
  });
}

function filterForm(ctx: PageContext, { filter, queues, jobTypes }: JobsPageModel): Html {
  const { i18n } = ctx;
  const text = (name: 'tag' | 'batchId' | 'search', type = 'text') =>
    html`<label>${i18n.t(`jobs.filter.${name}`)}<input type="${type}" name="${name}" value="${filter[name]}"></label>`;
  return html`<form class="filters" method="get" action="${ctx.basePath}/jobs" role="search">
  ${select(i18n.t('jobs.filter.state'), 'state', JOB_STATES, filter.state, (state) => i18n.t(`state.${state}`), i18n.t('jobs.filter.any'))}
  ${select(i18n.t('jobs.filter.queue'), 'queue', withSelected(queues, filter.queue), filter.queue, String, i18n.t('jobs.filter.any'))}
  ${select(
    i18n.t('jobs.filter.jobType'),
    'jobType',
    withSelected(jobTypes, filter.jobType),
    filter.jobType,
    String,
    i18n.t('jobs.filter.any'),
  )}
  ${text('tag')}${text('batchId')}${text('search', 'search')}
  ${ctx.query.locale ? html`<input type="hidden" name="locale" value="${ctx.query.locale}">` : ''}
  <button type="submit" class="primary">${i18n.t('jobs.filter.apply')}</button>
  <a href="${href(ctx, '/jobs')}">${i18n.t('jobs.filter.reset')}</a>
</form>`;
}

function select<T extends string>(
  label: string,
  name: string,
  values: readonly T[],
  selected: T | undefined,
  labelOf: (value: T) => string,
  anyLabel: string,
): Html {
  return html`<label>${label}<select name="${name}">
    <option value="">${anyLabel}</option>
    ${values.map((value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${labelOf(value)}</option>`)}
  </select></label>`;
}

/** The known values plus the current one, so a filter from a link stays visible. */
function withSelected(values: string[], selected: string | undefined): string[] {
  return selected && !values.includes(selected) ? [...values, selected] : values;
}

/**
 * Acts on the checked rows, or with "select all matching" on every job the filter matches (the
 * server takes those in chunks; the script repeats the request, showing `data-progress`).
 */
function bulkToolbar(ctx: PageContext, filter: Omit<JobsFilter, 'cursor'>): Html {
  const { i18n } = ctx;
  // "Every job" is said explicitly: the action refuses a filter that names nothing.
  const criteria = Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
  const actionFilter = Object.keys(criteria).length > 0 ? criteria : { all: true };
  return html`<form class="toolbar" data-action="${ctx.basePath}/actions/jobs" data-bulk data-filter="${JSON.stringify(actionFilter)}"
    data-progress="${i18n.t('bulk.progress')}" aria-label="${i18n.t('bulk.label')}">
  <label><input type="checkbox" data-testid="select-all-matching">${i18n.t('bulk.selectAllMatching')}</label>
  <span class="muted" data-selection-count aria-live="polite"></span>
  <span class="actions">
    <button type="submit" name="action" value="retry" formnovalidate data-testid="bulk-retry">${i18n.t('action.retry')}</button>
    <button type="submit" name="action" value="cancel" formnovalidate data-testid="bulk-cancel"
      data-confirm="${i18n.t('bulk.confirmCancel')}" data-confirm-all="${i18n.t(
        'bulk.confirmCancelAll',
      )}">${i18n.t('action.cancel')}</button>
    ${runAtInput(ctx)}
    <button type="submit" name="action" value="reschedule" data-testid="bulk-reschedule">${i18n.t('action.reschedule')}</button>
    <button type="submit" name="action" value="delete" formnovalidate class="danger" data-testid="bulk-delete"
      data-confirm="${i18n.t('bulk.confirmDelete')}" data-confirm-all="${i18n.t(
        'bulk.confirmDeleteAll',
      )}">${i18n.t('action.delete')}</button>
  </span>
</form>`;
}
