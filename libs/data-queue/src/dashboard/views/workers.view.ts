import { dateWithAge, emptyState, href } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import type { PageContext, WorkersPageModel } from './view-models.js';

export function workersView(ctx: PageContext, model: WorkersPageModel): Html {
  const { i18n } = ctx;
  const title = i18n.t('workers.title');
  return layout(ctx, {
    title,
    active: 'workers',
    body: html`<div class="page-head"><h1>${title}</h1></div>
${model.workers.length ? workersTable(ctx, model) : emptyState(i18n.t('workers.empty'))}`,
  });
}

function workersTable(ctx: PageContext, model: WorkersPageModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr>
    <th>${i18n.t('workers.id')}</th><th>${i18n.t('workers.host')}</th><th class="num">${i18n.t('workers.pid')}</th>
    <th>${i18n.t('workers.queues')}</th><th>${i18n.t('workers.startedAt')}</th><th>${i18n.t('workers.heartbeatAt')}</th>
    <th>${i18n.t('workers.running')}</th>
  </tr></thead>
  <tbody>
    ${model.workers.map(
      (worker) => html`<tr data-testid="worker-row">
        <td class="mono">${worker.id}</td>
        <td>${worker.hostname}</td>
        <td class="num">${worker.pid}</td>
        <td class="mono">${worker.queues}</td>
        <td>${i18n.date(worker.startedAt)}</td>
        <td>${dateWithAge(ctx, worker.heartbeatAt)}</td>
        <td>${
          worker.running.length
            ? worker.running.map(
                (job) => html`<div><a href="${href(ctx, `/jobs/${encodeURIComponent(job.id)}`)}">${i18n.t('workers.runningJob', {
                  id: job.id,
                  jobType: job.jobType,
                })}</a>
                ${
                  job.startedAt ? html`<span class="muted">${i18n.t('workers.since', { at: i18n.date(job.startedAt) })}</span>` : ''
                }</div>`,
              )
            : html`<span class="muted">${i18n.t('workers.idle')}</span>`
        }</td>
      </tr>`,
    )}
  </tbody>
</table></div>`;
}
