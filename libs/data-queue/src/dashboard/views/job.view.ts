import type { FailureReason, JobRecord } from '../../core/job-record.js';
import type { JobState } from '../../core/job-states.js';
import { actionForm, duration, emptyState, href, progressBar, runAtInput, stateBadge, tagList } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import { errorText, jsonBlock, latestAttemptsNotice, oneLine, PAGE_BUDGET } from './page-budget.js';
import type { AttemptView, JobPageModel, PageContext, TimelineEvent } from './view-models.js';

/** Which actions each state allows (the store's guarded UPDATEs enforce the same rules). */
export const ALLOWED_JOB_ACTIONS: Record<'retry' | 'cancel' | 'reschedule' | 'delete', JobState[]> = {
  retry: ['failed', 'cancelled', 'retrying'],
  cancel: ['blocked', 'pending', 'waiting', 'processing', 'retrying'],
  reschedule: ['blocked', 'pending', 'retrying'],
  delete: ['blocked', 'pending', 'waiting', 'retrying', 'failed', 'cancelled', 'completed'],
};

export function jobView(ctx: PageContext, model: JobPageModel): Html {
  const { i18n } = ctx;
  const { job } = model;
  const title = i18n.t('job.title', { id: job.id });
  return layout(ctx, {
    title,
    active: 'jobs',
    body: html`<div class="page-head">
  <h1>${title}</h1><span class="subtitle mono">${job.jobType}</span>${stateBadge(ctx, model.state, 'job-state')}
  ${ctx.readOnly ? '' : actions(ctx, job, model.state)}
</div>
${
  job.progress === null
    ? ''
    : html`<div class="progress-row">${progressBar(ctx, job.progress)}<span>${i18n.t('job.progressValue', {
        percent: job.progress,
      })}</span></div>`
}
${facts(ctx, model)}
<div class="grid-2">
  <section aria-labelledby="payload"><h2 id="payload">${i18n.t('job.payload')}</h2>
    ${jsonBlock(ctx, job.payload, { testId: 'payload', rawHref: rawJsonHref(ctx, job, 'payload') })}</section>
  <section aria-labelledby="output"><h2 id="output">${i18n.t('job.output')}</h2>
    ${
      job.output === null
        ? emptyState(i18n.t('job.noOutput'))
        : jsonBlock(ctx, job.output, { testId: 'output', rawHref: rawJsonHref(ctx, job, 'output') })
    }</section>
</div>
<section aria-labelledby="attempts"><h2 id="attempts">${i18n.t('job.attemptsTitle')}</h2>
  ${model.attempts.length ? attemptsTable(ctx, job, model.attempts) : emptyState(i18n.t('job.noAttempts'))}</section>
<section aria-labelledby="timeline"><h2 id="timeline">${i18n.t('job.timeline')}</h2>
  <ol class="timeline">
    ${withLatestFailures(model.timeline).map(
      (entry) => html`<li><time datetime="${entry.at.toISOString()}">${i18n.date(entry.at)}</time>${i18n.t(`timeline.${entry.event}`)}
        ${entry.detail ? html`<span class="muted"> — ${oneLine(entry.detail)}</span>` : ''}</li>`,
    )}
  </ol>
</section>`,
  });
}

function actions(ctx: PageContext, job: JobRecord, state: JobState): Html {
  const { i18n } = ctx;
  const allowed = (action: keyof typeof ALLOWED_JOB_ACTIONS) => ALLOWED_JOB_ACTIONS[action].includes(state);
  const common = { action: '/actions/jobs' };
  const ids = [job.id];
  return html`<div class="actions">
  ${
    allowed('retry')
      ? actionForm(ctx, { ...common, body: { action: 'retry', ids }, label: i18n.t('action.retry'), testId: 'action-retry' })
      : ''
  }
  ${
    allowed('reschedule')
      ? actionForm(ctx, {
          ...common,
          body: { action: 'reschedule', ids },
          label: i18n.t('action.reschedule'),
          testId: 'action-reschedule',
          fields: runAtInput(ctx),
        })
      : ''
  }
  ${
    allowed('cancel')
      ? actionForm(ctx, {
          ...common,
          body: { action: 'cancel', ids },
          label: i18n.t('action.cancel'),
          testId: 'action-cancel',
          confirm: i18n.t('job.confirmCancel'),
        })
      : ''
  }
  ${
    allowed('delete')
      ? actionForm(ctx, {
          ...common,
          body: { action: 'delete', ids },
          label: i18n.t('action.delete'),
          testId: 'action-delete',
          confirm: i18n.t('job.confirmDelete'),
          danger: true,
          redirect: href(ctx, '/jobs'),
        })
      : ''
  }
</div>`;
}

function facts(ctx: PageContext, { job, state, batch }: JobPageModel): Html {
  const { i18n } = ctx;
  const jobLink = (id: string) => html`<a href="${href(ctx, `/jobs/${encodeURIComponent(id)}`)}">${id}</a>`;
  const batchLink = (id: string) =>
    html`<a href="${href(ctx, `/batches/${encodeURIComponent(id)}`)}">${
      batch?.id === id && batch.description ? oneLine(batch.description) : id
    }</a>`;
  const rows: [string, Html | string | null][] = [
    [i18n.t('job.queue'), html`<a href="${href(ctx, '/jobs', { queue: job.queue })}">${job.queue}</a>`],
    [i18n.t('job.priority'), i18n.number(job.priority)],
    [i18n.t('job.attempts'), i18n.t('job.attemptsOf', { attempts: job.attempts, max: job.maxAttempts })],
    [i18n.t('job.runAt'), i18n.date(job.runAt)],
    [i18n.t('job.nextAttemptAt'), state === 'retrying' ? i18n.date(job.nextAttemptAt) : null],
    [i18n.t('job.createdAt'), i18n.date(job.createdAt)],
    [i18n.t('job.updatedAt'), i18n.date(job.updatedAt)],
    [i18n.t('job.startedAt'), i18n.date(job.startedAt)],
    [i18n.t('job.completedAt'), i18n.date(job.completedAt)],
    [i18n.t('job.lockedBy'), job.lockedBy && i18n.t('job.lockedSince', { worker: job.lockedBy, at: i18n.date(job.lockedAt) })],
    [i18n.t('job.timeout'), job.timeoutMs === null ? null : duration(ctx, job.timeoutMs)],
    [i18n.t('job.idempotencyKey'), job.idempotencyKey],
    [i18n.t('job.tags'), job.tags.length ? tagList(ctx, job.tags) : null],
    [i18n.t('job.batch'), job.batchId && batchLink(job.batchId)],
    [
      i18n.t('job.step'),
      job.stepName &&
        job.batchId &&
        html`<a href="${href(ctx, `/flows/${encodeURIComponent(job.batchId)}`)}" data-testid="job-step">${job.stepName}</a>`,
    ],
    [i18n.t('job.batchCallback'), job.batchCallbackId && batchLink(job.batchCallbackId)],
    [i18n.t('job.failureReason'), job.failureReason && reason(ctx, job.failureReason)],
    [i18n.t('job.pendingReason'), job.pendingReason],
    [i18n.t('job.deadLetterJobType'), job.deadLetterJobType],
    [
      i18n.t('job.deadLetterJob'),
      job.deadLetterJobId && html`${jobLink(job.deadLetterJobId)} <span class="muted">${i18n.date(job.deadLetteredAt)}</span>`,
    ],
  ];
  return html`<div class="table-wrap facts"><table class="facts" aria-label="${i18n.t('job.facts')}"><tbody>
    ${rows.filter(([, value]) => value !== null).map(([label, value]) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`)}
  </tbody></table></div>`;
}

/** The latest attempts, each error cut to the budget; errors.json holds every one whole. */
function attemptsTable(ctx: PageContext, job: JobRecord, attempts: AttemptView[]): Html {
  const { i18n } = ctx;
  const errorsHref = rawJsonHref(ctx, job, 'errors');
  const latest = attempts.slice(-PAGE_BUDGET.attempts);
  return html`${
    latest.length < attempts.length ? latestAttemptsNotice(ctx, { shown: latest.length, total: attempts.length, rawHref: errorsHref }) : ''
  }
<div class="table-wrap"><table class="attempts">
  <thead><tr>
    <th class="num">${i18n.t('attempt.number')}</th><th>${i18n.t('attempt.startedAt')}</th><th>${i18n.t('attempt.endedAt')}</th>
    <th class="num">${i18n.t('attempt.duration')}</th><th>${i18n.t('attempt.outcome')}</th><th>${i18n.t('attempt.error')}</th>
  </tr></thead>
  <tbody>
    ${latest.map(
      (attempt) => html`<tr>
        <td class="num">${i18n.number(attempt.attempt)}</td>
        <td>${i18n.date(attempt.startedAt)}</td>
        <td>${i18n.date(attempt.endedAt)}</td>
        <td class="num">${attempt.durationMs === null ? '—' : duration(ctx, attempt.durationMs)}</td>
        <td><span class="badge outcome-${attempt.outcome}">${i18n.t(`outcome.${attempt.outcome}`)}</span></td>
        <td>${attempt.error ? attemptError(ctx, attempt.error, errorsHref) : ''}</td>
      </tr>`,
    )}
  </tbody>
</table></div>`;
}

function attemptError(ctx: PageContext, error: NonNullable<AttemptView['error']>, errorsHref: string): Html {
  const message = errorText(ctx, error.message, errorsHref);
  const stack = error.stack ? errorText(ctx, error.stack, errorsHref) : null;
  return html`<div>${error.name ? html`<strong>${oneLine(error.name)}</strong>: ` : ''}${message.text}</div>${message.notice}
    <div class="muted">${reason(ctx, error.reason)}</div>
    ${
      stack
        ? html`<details class="stack"><summary>${ctx.i18n.t('attempt.stack')}</summary><pre>${stack.text}</pre>${stack.notice}</details>`
        : ''
    }`;
}

/** The timeline with only its latest failures, as many as the attempts table lists. */
function withLatestFailures(timeline: TimelineEvent[]): TimelineEvent[] {
  let older = timeline.filter((entry) => entry.event === 'failed').length - PAGE_BUDGET.attempts;
  return timeline.filter((entry) => entry.event !== 'failed' || older-- <= 0);
}

/** Where the job's payload, output or error history is served whole, as JSON. */
function rawJsonHref(ctx: PageContext, job: JobRecord, part: 'payload' | 'output' | 'errors'): string {
  return `${ctx.basePath}/jobs/${encodeURIComponent(job.id)}/${part}.json`;
}

function reason(ctx: PageContext, failure: FailureReason): string {
  return ctx.i18n.t(`reason.${failure}`);
}
