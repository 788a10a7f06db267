import { JOB_STATES } from '../../core/job-states.js';
import { emptyState, href } from './components.view.js';
import { html, type Html } from './html.js';
import { layout } from './layout.view.js';
import type { OverviewModel, PageContext } from './view-models.js';
const QUEUE_STATES = ['pending', 'processing', 'retrying', 'failed'] as const;

export function overviewView(ctx: PageContext, model: OverviewModel): Html {
  const { i18n } = ctx;
  const title = i18n.t('overview.title');
  return layout(ctx, {
    title,
    active: 'overview',
    body: html`<div class="page-head"><h1>${title}</h1></div>
<section aria-labelledby="by-state">
  <h2 id="by-state">${i18n.t('overview.byState')}</h2>
  <div class="cards">
    ${JOB_STATES.map(
      (state) => html`<a class="card card-${state}" href="${href(ctx, '/jobs', { state })}" data-testid="count-${state}">
        <span class="value">${i18n.number(model.counts[state])}</span><span class="label">${i18n.t(`state.${state}`)}</span></a>`,
    )}
    <a class="card" href="${href(ctx, '/workers')}" data-testid="workers-alive">
      <span class="value">${i18n.number(model.workersAlive)}</span><span class="label">${i18n.t('overview.workersAlive')}</span></a>
  </div>
</section>
<div class="grid-2">
  <section aria-labelledby="throughput">
    <h2 id="throughput">${i18n.t('overview.throughput', { hours: model.hours })}</h2>
    ${
      model.throughput.length
        ? html`<div class="panel chart">${throughputChart(ctx, model)}</div>`
        : emptyState(i18n.t('overview.noThroughput'))
    }
  </section>
  <section aria-labelledby="by-queue">
    <h2 id="by-queue">${i18n.t('overview.byQueue')}</h2>
    ${model.queues.length ? queuesTable(ctx, model) : emptyState(i18n.t('overview.noQueues'))}
  </section>
</div>`,
  });
}

function queuesTable(ctx: PageContext, model: OverviewModel): Html {
  const { i18n } = ctx;
  return html`<div class="table-wrap"><table>
  <thead><tr><th>${i18n.t('job.queue')}</th>${QUEUE_STATES.map(
    (state) => html`<th class="num">${i18n.t(`state.${state}`)}</th>`,
  )}</tr></thead>
  <tbody>
    ${model.queues.map(
      (row) => html`<tr>
        <td><a href="${href(ctx, '/jobs', { queue: row.queue })}">${row.queue}</a></td>
        ${QUEUE_STATES.map(
          (state) => html`<td class="num"><a href="${href(ctx, '/jobs', { queue: row.queue, state })}">${i18n.number(row[state])}</a></td>`,
        )}
      </tr>`,
    )}
  </tbody>
</table></div>`;
}

const WIDTH = 800;
const HEIGHT = 240;
const PAD = { left: 48, right: 12, top: 14, bottom: 28 };

/** Completed and failed jobs per minute as two polylines, scaled to a round maximum. */
function throughputChart(ctx: PageContext, model: OverviewModel): Html {
  const { i18n } = ctx;
  const points = model.throughput;
  const max = roundUp(Math.max(1, ...points.map((p) => Math.max(p.completed, p.failed))));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length > 1 ? (i / (points.length - 1)) * plotWidth : plotWidth / 2);
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const line = (series: 'completed' | 'failed') => points.map((point, i) => `${x(i).toFixed(1)},${y(point[series]).toFixed(1)}`).join(' ');
  const ticks = [0, max / 2, max].filter(Number.isInteger);
  const time = new Intl.DateTimeFormat(
    ctx.locale,
    model.hours >= 24 ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' },
  );
  const last = points.length - 1;
  const labelAt = [...new Set([0, Math.floor(last / 2), last])];
  const anchor = (i: number) => (i === 0 ? 'start' : i === last ? 'end' : 'middle');
  const total = (series: 'completed' | 'failed') => points.reduce((sum, point) => sum + point[series], 0);
  const summary = i18n.t('overview.chartSummary', { completed: total('completed'), failed: total('failed'), hours: model.hours });
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title" data-testid="throughput-chart">
  <title id="chart-title">${summary}</title>
  <text class="axis" x="${PAD.left}" y="${PAD.top - 4}">${i18n.t('overview.perMinute')}</text>
  ${ticks.map(
    (tick) => html`<line class="gridline" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(tick)}" y2="${y(tick)}"></line>
    <text class="axis" x="${PAD.left - 6}" y="${y(tick) + 4}" text-anchor="end">${i18n.number(tick)}</text>`,
  )}
  ${labelAt.map(
    (i) => html`<text class="axis" x="${x(i)}" y="${HEIGHT - 8}" text-anchor="${anchor(i)}">${time.format(points[i].minute)}</text>`,
  )}
  <polyline class="line completed" points="${line('completed')}"></polyline>
  <polyline class="line failed" points="${line('failed')}"></polyline>
</svg>
<ul class="legend">
  <li><span class="swatch completed"></span>${i18n.t('overview.legend', {
    state: i18n.t('state.completed'),
    count: total('completed'),
  })}</li>
  <li><span class="swatch failed"></span>${i18n.t('overview.legend', { state: i18n.t('state.failed'), count: total('failed') })}</li>
</ul>`;
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so the axis reads in round numbers. */
function roundUp(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * magnitude).find((candidate) => candidate >= value) ?? value;
}
