import type { CronEntryRecord } from '../../core/cron-entry.js';
import { actionForm, dateWithAge, duration, emptyState } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import type { CronPageModel, PageContext } from './view-models.js';

export function cronView(ctx: PageContext, model: CronPageModel): Html {
  const { i18n } = ctx;
  const title = i18n.t('cron.title');
  return layout(ctx, {
    title,
    active: 'cron',
    body: html`<div class="page-head"><h1>${title}</h1></div>
${model.entries.length ? cronTable(ctx, model) : emptyState(i18n.t('cron.empty'))}
${ctx.readOnly ? '' : createForm(ctx)}`,
  });
}

function cronTable(ctx: PageContext, model: CronPageModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr>
    <th>${i18n.t('cron.key')}</th><th>${i18n.t('cron.schedule')}</th><th>${i18n.t('job.jobType')}</th>
    <th>${i18n.t('cron.source')}</th><th>${i18n.t('cron.status')}</th><th>${i18n.t('cron.nextRun')}</th><th>${i18n.t('cron.lastRun')}</th>
    <th>${i18n.t('job.payload')}</th>
    ${ctx.readOnly ? '' : html`<th><span class="visually-hidden">${i18n.t('queues.actions')}</span></th>`}
  </tr></thead>
  <tbody>
    ${model.entries.map(
      (entry) => html`<tr data-testid="cron-row" data-cron-key="${entry.key}">
        <td class="mono">${entry.key}</td>
        <td><span class="mono">${entry.schedule}</span> <span class="muted">${entry.timezone}</span></td>
        <td class="mono">${entry.jobType}</td>
        <td>${i18n.t(`cron.source.${entry.source}`)}</td>
        <td>${
          entry.enabled
            ? html`<span class="badge state-completed">${i18n.t('cron.enabled')}</span>`
            : html`<span class="badge paused">${i18n.t('cron.disabled')}</span>`
        }</td>
        <td>${entry.nextRunAt ? nextRun(ctx, entry.nextRunAt) : '—'}</td>
        <td>${entry.lastRunAt ? dateWithAge(ctx, entry.lastRunAt) : '—'}</td>
        <td><details class="stack"><summary>${i18n.t('cron.showPayload')}</summary><pre>${
          JSON.stringify(entry.payload) ?? 'null'
        }</pre></details></td>
        ${ctx.readOnly ? '' : html`<td><div class="actions">${actions(ctx, entry)}</div></td>`}
      </tr>`,
    )}
  </tbody>
</table></div>`;
}

/**
 * Enable or Disable (whichever applies), and Run now (enqueues a job whether enabled or not); a
 * runtime entry can also be edited and deleted (one declared in code changes with the code).
 */
function actions(ctx: PageContext, entry: CronEntryRecord): Html {
  const { i18n } = ctx;
  const action = `/actions/cron/${encodeURIComponent(entry.key)}`;
  return html`${
    entry.enabled
      ? actionForm(ctx, { action: `${action}/disable`, body: {}, label: i18n.t('cron.disable'), testId: 'cron-disable' })
      : actionForm(ctx, { action: `${action}/enable`, body: {}, label: i18n.t('cron.enable'), testId: 'cron-enable' })
  }
  ${actionForm(ctx, { action: `${action}/run`, body: {}, label: i18n.t('cron.runNow'), testId: 'cron-run' })}
  ${
    entry.source === 'runtime'
      ? html`${actionForm(ctx, {
          action: `${action}/delete`,
          body: {},
          label: i18n.t('cron.delete'),
          testId: 'cron-delete',
          danger: true,
          confirm: i18n.t('cron.confirmDelete', { key: entry.key }),
        })}
  <details class="stack"><summary>${i18n.t('cron.edit')}</summary>${entryForm(ctx, entry)}</details>`
      : ''
  }`;
}

/** A new runtime entry (`upsertCron`). */
function createForm(ctx: PageContext): Html {
  return html`<section aria-labelledby="cron-create"><h2 id="cron-create">${ctx.i18n.t('cron.create')}</h2>${entryForm(ctx)}</section>`;
}

/** The fields of a runtime entry, filled in with `entry`'s when editing it (its key is fixed then). */
function entryForm(ctx: PageContext, entry?: CronEntryRecord): Html {
  const { i18n } = ctx;
  const json = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
  const options = entry && Object.keys(entry.options).length > 0 ? json(entry.options) : '';
  return html`<form class="stack-form" data-action="${ctx.basePath}/actions/cron" data-body="${JSON.stringify(entry ? { key: entry.key } : {})}">
  ${entry ? '' : html`<label>${i18n.t('cron.key')} <input type="text" name="key" required maxlength="255"></label>`}
  <label>${i18n.t('cron.schedule')} <input type="text" name="schedule" required value="${entry?.schedule}" placeholder="0 8 * * *"></label>
  <label>${i18n.t('cron.timezone')} <input type="text" name="timezone" value="${entry?.timezone}" placeholder="UTC"></label>
  <label>${i18n.t('job.jobType')} <input type="text" name="jobType" required value="${entry?.jobType}"></label>
  <label>${i18n.t('cron.payloadJson')} <textarea name="payload" rows="2">${json(entry?.payload)}</textarea></label>
  <label>${i18n.t('cron.optionsJson')} <textarea name="options" rows="2" placeholder='{"queue": "reports"}'>${options}</textarea></label>
  <button type="submit" data-testid="${entry ? 'cron-save' : 'cron-create'}">${i18n.t('cron.save')}</button>
</form>`;
}

/** "Jan 6, 2025, 03:00:00 (in 4 h 12 min)"; a tick already due reads "(… ago)". */
function nextRun(ctx: PageContext, at: Date): string {
  const ms = at.getTime() - Date.now();
  if (ms <= 0) return dateWithAge(ctx, at);
  return `${ctx.i18n.date(at)} (${ctx.i18n.t('cron.inDuration', { duration: duration(ctx, ms) })})`;
}
