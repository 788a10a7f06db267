import type { BatchCounts, BatchRecord } from '../../core/batch-record.js';
import type { JobRecord } from '../../core/job-record.js';
import { jobState, type JobState } from '../../core/job-states.js';
import { html, type Html } from './html.js';
import { oneLine, PAGE_BUDGET } from './page-budget.js';
import type { BatchState, PageContext } from './view-models.js';

/** A dashboard URL: basePath + path + the non-empty params. An explicit `?locale=` is carried along. */
export function href(ctx: PageContext, path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  if (ctx.query.locale && !query.has('locale')) query.set('locale', ctx.query.locale);
  const search = query.toString();
  return `${ctx.basePath}${path}${search ? `?${search}` : ''}`;
}

export function stateBadge(ctx: PageContext, state: JobState, testId?: string): Html {
  return html`<span class="badge state-${state}"${testId ? html` data-testid="${testId}"` : ''}>${ctx.i18n.t(`state.${state}`)}</span>`;
}

export function batchStateBadge(ctx: PageContext, state: BatchState): Html {
  return html`<span class="badge batch-${state}">${ctx.i18n.t(`batchState.${state}`)}</span>`;
}

/** The head of a batch's page (and of a flow's, which is a batch): title, description, state. */
export function batchHeading(ctx: PageContext, title: string, batch: BatchRecord, state: BatchState): Html {
  const description = batch.description ? html`<span class="subtitle">${oneLine(batch.description)}</span>` : '';
  return html`<h1>${title}</h1>${description}${batchStateBadge(ctx, state)}`;
}

/** "850 ms", "12 s", "3 min 4 s", "2 h 5 min", "3 d 4 h". */
export function duration(ctx: PageContext, ms: number): string {
  const { i18n } = ctx;
  const seconds = Math.floor(ms / 1000);
  if (ms < 1000) return i18n.t('duration.ms', { ms: Math.round(ms) });
  if (seconds < 60) return i18n.t('duration.s', { s: seconds });
  if (seconds < 3600) return i18n.t('duration.min', { min: Math.floor(seconds / 60), s: seconds % 60 });
  if (seconds < 86400) return i18n.t('duration.h', { h: Math.floor(seconds / 3600), min: Math.floor(seconds / 60) % 60 });
  return i18n.t('duration.d', { d: Math.floor(seconds / 86400), h: Math.floor(seconds / 3600) % 24 });
}

/** "Jan 5, 2025, 10:04:12 (12 s ago)". */
export function dateWithAge(ctx: PageContext, at: Date): string {
  return `${ctx.i18n.date(at)} (${ctx.i18n.t('time.ago', { duration: duration(ctx, Math.max(0, Date.now() - at.getTime())) })})`;
}

/** A job's progress, 0–100. */
export function progressBar(ctx: PageContext, percent: number): Html {
  const value = Math.min(100, Math.max(0, Math.round(percent)));
  return html`<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${value}"
      aria-label="${ctx.i18n.t('job.progress')}">
    <span class="segment seg-succeeded" style="width: ${value}%"></span>
  </div>`;
}

/** A batch's jobs: succeeded (green), discarded (red), still pending (grey). */
export function batchProgress(ctx: PageContext, counts: BatchCounts): Html {
  const { i18n } = ctx;
  const share = (n: number) => (counts.total ? (n / counts.total) * 100 : 0).toFixed(2);
  const label = i18n.t('batch.countsSummary', { ...counts });
  return html`<div class="progress" role="img" aria-label="${label}" title="${label}">
    <span class="segment seg-succeeded" style="width: ${share(counts.succeeded)}%"></span>
    <span class="segment seg-discarded" style="width: ${share(counts.discarded)}%"></span>
    <span class="segment seg-pending" style="width: ${share(counts.pending)}%"></span>
  </div>`;
}

/** Each tag links to its jobs; past `limit`, only how many more there are. */
export function tagList(ctx: PageContext, tags: string[], limit = tags.length): Html {
  const more = tags.length - limit;
  return html`${tags.slice(0, limit).map((tag) => html`<a class="tag" href="${href(ctx, '/jobs', { tag })}">${tag}</a> `)}${
    more > 0 ? html`<span class="muted">${ctx.i18n.t('tags.more', { count: more })}</span>` : ''
  }`;
}

export function emptyState(text: string): Html {
  return html`<p class="empty">${text}</p>`;
}

/** "First page" (when paging) and "Next" (when there is more) links, keeping the filters. */
export function pager(
  ctx: PageContext,
  path: string,
  params: Record<string, string | undefined>,
  cursor: string | undefined,
  nextCursor: string | null,
): Html {
  if (!cursor && !nextCursor) return html``;
  const { i18n } = ctx;
  return html`<nav class="pager" aria-label="${i18n.t('pager.label')}">
    ${cursor ? html`<a href="${href(ctx, path, params)}">${i18n.t('pager.first')}</a>` : ''}
    ${nextCursor ? html`<a href="${href(ctx, path, { ...params, cursor: nextCursor })}" rel="next">${i18n.t('pager.next')}</a>` : ''}
  </nav>`;
}

interface ActionFormOptions {
  /** Path below basePath, e.g. `/actions/jobs`. */
  action: string;
  body: object;
  label: string;
  testId: string;
  confirm?: string;
  danger?: boolean;
  /** Extra fields sent with the body (e.g. a `runAt` input). */
  fields?: Html;
  /** Where to go on success instead of reloading (e.g. after deleting the page's job). */
  redirect?: string;
}

/** One action: the client script POSTs `body` (plus the form's fields) as JSON and reloads. */
export function actionForm(ctx: PageContext, options: ActionFormOptions): Html {
  return html`<form class="inline" data-action="${ctx.basePath}${options.action}" data-body="${JSON.stringify(options.body)}"
    ${options.redirect ? html`data-redirect="${options.redirect}"` : ''}>
    ${options.fields}
    <button type="submit"${options.danger ? html` class="danger"` : ''} data-testid="${options.testId}"
      ${options.confirm ? html`data-confirm="${options.confirm}"` : ''}>${options.label}</button>
  </form>`;
}

/** A date-time input whose value the client script sends as an ISO `runAt`. */
export function runAtInput(ctx: PageContext): Html {
  return html`<input type="datetime-local" name="runAt" step="1" required aria-label="${ctx.i18n.t('action.runAt')}">`;
}

/** Jobs with their key columns; `selectable` adds the checkboxes the bulk toolbar acts on. */
export function jobsTable(ctx: PageContext, jobs: JobRecord[], selectable: boolean): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table class="jobs">
    <thead><tr>
      ${selectable ? html`<th class="check"><input type="checkbox" data-select-page aria-label="${i18n.t('bulk.selectPage')}"></th>` : ''}
      <th>${i18n.t('job.id')}</th><th>${i18n.t('job.jobType')}</th><th>${i18n.t('job.queue')}</th><th>${i18n.t('job.state')}</th>
      <th class="num">${i18n.t('job.priority')}</th><th class="num">${i18n.t('job.attempts')}</th><th>${i18n.t('job.tags')}</th>
      <th>${i18n.t('job.createdAt')}</th><th>${i18n.t('job.runAt')}</th>
    </tr></thead>
    <tbody>
      ${jobs.map(
        (job) => html`<tr data-testid="job-row" data-job-id="${job.id}">
          ${
            selectable
              ? html`<td class="check"><input type="checkbox" data-row-select value="${job.id}" aria-label="${i18n.t('bulk.selectJob', {
                  id: job.id,
                })}"></td>`
              : ''
          }
          <td><a href="${href(ctx, `/jobs/${encodeURIComponent(job.id)}`)}">${job.id}</a></td>
          <td>${job.jobType}</td>
          <td>${job.queue}</td>
          <td>${stateBadge(ctx, jobState(job))}</td>
          <td class="num">${i18n.number(job.priority)}</td>
          <td class="num">${i18n.t('job.attemptsOf', { attempts: job.attempts, max: job.maxAttempts })}</td>
          <td>${tagList(ctx, job.tags, PAGE_BUDGET.tagsPerRow)}</td>
          <td>${i18n.date(job.createdAt)}</td>
          <td>${i18n.date(job.runAt)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}
