import type { FairKeyLoad, QueueFairKeys } from '../../store/gauge-store.js';
import { actionForm, duration, emptyState, href } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import { oneLine, PAGE_BUDGET } from './page-budget.js';
import type { PageContext, PauseKind, QueuesPageModel } from './view-models.js';

const PAUSES = '/actions/pauses';

export function queuesView(ctx: PageContext, model: QueuesPageModel): Html {
  const { i18n } = ctx;
  const title = i18n.t('queues.title');
  return layout(ctx, {
    title,
    active: 'queues',
    body: html`<div class="page-head"><h1>${title}</h1></div>
${model.queues.length ? queuesTable(ctx, model) : emptyState(i18n.t('queues.empty'))}
${model.fairKeys.length ? fairKeysSection(ctx, model.fairKeys) : ''}
<section aria-labelledby="pauses">
  <h2 id="pauses">${i18n.t('pauses.title')}</h2>
  ${model.pauses.length ? pausesTable(ctx, model) : emptyState(i18n.t('pauses.empty'))}
  ${ctx.readOnly ? '' : pauseForm(ctx)}
</section>`,
  });
}

function queuesTable(ctx: PageContext, model: QueuesPageModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr>
    <th>${i18n.t('job.queue')}</th><th class="num">${i18n.t('queues.runnable')}</th><th class="num">${i18n.t('queues.scheduled')}</th>
    <th class="num">${i18n.t('queues.processing')}</th><th class="num">${i18n.t('queues.latency')}</th><th>${i18n.t('queues.status')}</th>
    ${ctx.readOnly ? '' : html`<th><span class="visually-hidden">${i18n.t('queues.actions')}</span></th>`}
  </tr></thead>
  <tbody>
    ${model.queues.map(
      (row) => html`<tr data-testid="queue-row" data-queue="${row.queue}">
        <td><a href="${href(ctx, '/jobs', { queue: row.queue })}">${row.queue}</a></td>
        <td class="num">${i18n.number(row.runnable)}</td>
        <td class="num">${i18n.number(row.scheduled)}</td>
        <td class="num">${i18n.number(row.processing)}</td>
        <td class="num" title="${i18n.t('queues.latencyHint')}">${
          row.oldestRunnableMs === null ? '—' : duration(ctx, row.oldestRunnableMs)
        }</td>
        <td>${
          row.paused
            ? html`<span class="badge paused">${i18n.t('queues.paused')}</span>`
            : html`<span class="muted">${i18n.t('queues.active')}</span>`
        }</td>
        ${
          ctx.readOnly
            ? ''
            : html`<td>${actionForm(ctx, {
                action: PAUSES,
                body: { kind: 'queue', value: row.queue, paused: !row.paused },
                label: i18n.t(row.paused ? 'pauses.resume' : 'pauses.pause'),
                testId: row.paused ? 'queue-resume' : 'queue-pause',
              })}</td>`
        }
      </tr>`,
    )}
  </tbody>
</table></div>`;
}

/** Per queue with keyed work: its busiest fair keys by backlog, then the others in one line. */
function fairKeysSection(ctx: PageContext, fairKeys: QueueFairKeys[]): Html {
  const { i18n } = ctx;
  return html`<section aria-labelledby="fair-keys">
  <h2 id="fair-keys">${i18n.t('fairKeys.title')}</h2>
  <p class="muted">${i18n.t('fairKeys.hint', { count: PAGE_BUDGET.fairKeysPerQueue })}</p>
  <div class="table-wrap"><table>
    <thead><tr>
      <th>${i18n.t('job.queue')}</th><th>${i18n.t('fairKeys.key')}</th>
      <th class="num">${i18n.t('fairKeys.backlog')}</th><th class="num">${i18n.t('fairKeys.running')}</th>
    </tr></thead>
    ${fairKeys.map((queue) => fairKeysOfQueue(ctx, queue))}
  </table></div>
</section>`;
}

function fairKeysOfQueue(ctx: PageContext, { queue, top, rest }: QueueFairKeys): Html {
  const { i18n } = ctx;
  const line = (label: Html, load: FairKeyLoad) => html`<td>${label}</td>
      <td class="num">${i18n.number(load.backlog)}</td><td class="num">${i18n.number(load.running)}</td>`;
  const lines = top.map((key) => line(fairKeyLabel(ctx, key.fairKey), key));
  if (rest) lines.push(line(html`<span class="muted">${i18n.t('fairKeys.more', { count: rest.keys })}</span>`, rest));
  const queueCell = html`<th scope="rowgroup" rowspan="${lines.length}"><a href="${href(ctx, '/jobs', { queue })}">${queue}</a></th>`;
  return html`<tbody data-testid="fair-keys" data-queue="${queue}">
    ${lines.map((cells, i) => html`<tr>${i === 0 ? queueCell : ''}${cells}</tr>`)}
  </tbody>`;
}

/** A tenant's key as text (cut past the label budget, whole in its tooltip); the default key as "(no key)". */
function fairKeyLabel(ctx: PageContext, fairKey: string): Html {
  return fairKey === ''
    ? html`<span class="muted">${ctx.i18n.t('fairKeys.noKey')}</span>`
    : html`<span class="mono" title="${fairKey}">${oneLine(fairKey)}</span>`;
}

function pausesTable(ctx: PageContext, model: QueuesPageModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr>
    <th>${i18n.t('pauses.kind')}</th><th>${i18n.t('pauses.value')}</th><th>${i18n.t('pauses.since')}</th>
    ${ctx.readOnly ? '' : html`<th><span class="visually-hidden">${i18n.t('queues.actions')}</span></th>`}
  </tr></thead>
  <tbody>
    ${model.pauses.map(
      (pause) => html`<tr data-testid="pause-row">
        <td>${kindLabel(ctx, pause.kind)}</td>
        <td class="mono">${pause.value}</td>
        <td>${i18n.date(pause.pausedAt)}</td>
        ${
          ctx.readOnly
            ? ''
            : html`<td>${actionForm(ctx, {
                action: PAUSES,
                body: { kind: pause.kind, value: pause.value, paused: false },
                label: i18n.t('pauses.resume'),
                testId: 'pause-resume',
              })}</td>`
        }
      </tr>`,
    )}
  </tbody>
</table></div>`;
}

/** Pauses every job of a type, or every job with a tag, whatever its queue. */
function pauseForm(ctx: PageContext): Html {
  const { i18n } = ctx;
  const kinds: PauseKind[] = ['jobType', 'tag'];
  return html`<form class="stack-form" data-action="${ctx.basePath}${PAUSES}" data-body="${JSON.stringify({ paused: true })}">
  <strong>${i18n.t('pauses.add')}</strong>
  <label>${i18n.t('pauses.kind')}
    <select name="kind">${kinds.map((kind) => html`<option value="${kind}">${kindLabel(ctx, kind)}</option>`)}</select></label>
  <label>${i18n.t('pauses.value')} <input type="text" name="value" required></label>
  <button type="submit" data-testid="pause-add">${i18n.t('pauses.pause')}</button>
</form>`;
}

function kindLabel(ctx: PageContext, kind: PauseKind): string {
  return ctx.i18n.t(`pauses.kind.${kind}`);
}
