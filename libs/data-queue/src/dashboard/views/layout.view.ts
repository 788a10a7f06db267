import { LOCALE_NAMES, type LocaleCode } from '../i18n/locales.js';
import type { MessageKey } from '../i18n/translator.js';
import { ASSETS } from './assets/assets.js';
import { href } from './components.view.js';
import { html, scriptJson, type Html } from './html.js';
import type { PageContext } from './view-models.js';

export type NavItem = 'overview' | 'jobs' | 'batches' | 'queues' | 'cron' | 'workers';

export interface LayoutOptions {
  title: string;
  active?: NavItem;
  body: Html;
}

const NAV: { item: NavItem; path: string; label: MessageKey }[] = [
  { item: 'overview', path: '/', label: 'nav.overview' },
  { item: 'jobs', path: '/jobs', label: 'nav.jobs' },
  { item: 'batches', path: '/batches', label: 'nav.batches' },
  { item: 'queues', path: '/queues', label: 'nav.queues' },
  { item: 'cron', path: '/cron', label: 'nav.cron' },
  { item: 'workers', path: '/workers', label: 'nav.workers' },
];

/** Strings the client script shows (it has no translator of its own). */
const CLIENT_MESSAGES = {
  affected: 'client.affected',
  failed: 'client.failed',
  noSelection: 'client.noSelection',
  selected: 'client.selected',
  allMatching: 'client.allMatching',
} satisfies Record<string, MessageKey>;

/** A dashboard page: header (navigation, live refresh, theme, locale) and the page's body. */
export function layout(ctx: PageContext, { title, active, body }: LayoutOptions): Html {
  const { i18n } = ctx;
  const config = {
    pollSeconds: ctx.pollSeconds,
    pollRequested: ctx.pollRequested,
    messages: Object.fromEntries(Object.entries(CLIENT_MESSAGES).map(([name, key]) => [name, i18n.t(key)])),
  };
  return documentOf(
    ctx,
    title,
    html`<meta name="dataqueue-csrf" content="${ctx.csrfToken}">
<script type="application/json" id="dataqueue-config">${scriptJson(config)}</script>`,
    html`<header class="top">
  <a class="brand" href="${href(ctx, '/')}">${ctx.title}</a>
  <nav class="main-nav" aria-label="${i18n.t('nav.label')}">
    ${NAV.map(
      ({ item, path, label }) =>
        html`<a href="${href(ctx, path)}"${item === active ? html` aria-current="page"` : ''}>${i18n.t(label)}</a>`,
    )}
  </nav>
  <div class="tools">
    ${ctx.readOnly ? html`<span class="badge read-only">${i18n.t('layout.readOnly')}</span>` : ''}
    <button type="button" class="toggle" data-testid="live-toggle" aria-pressed="false"
      title="${i18n.t('layout.liveHint', {
        seconds: ctx.pollSeconds,
      })}"><span class="dot" aria-hidden="true"></span>${i18n.t('layout.live')}</button>
    <button type="button" class="toggle" data-testid="theme-toggle" title="${i18n.t('layout.theme')}"
      aria-label="${i18n.t('layout.theme')}"><span aria-hidden="true">◐</span></button>
    ${localeSwitcher(ctx)}
  </div>
</header>
<div id="dataqueue-flash" class="flash" role="status" aria-live="polite" hidden></div>
<main>${body}</main>`,
  );
}

/** A page without navigation or actions, for when the dashboard itself is out of reach. */
export function bareLayout(ctx: PageContext, { title, body }: Omit<LayoutOptions, 'active'>): Html {
  return documentOf(ctx, title, html``, html`<main class="bare">${body}</main>`);
}

function documentOf(ctx: PageContext, title: string, head: Html, body: Html): Html {
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>${title} · ${ctx.title}</title>
${head}
<link rel="stylesheet" href="${ctx.basePath}/assets/${ASSETS.css.file}">
<script src="${ctx.basePath}/assets/${ASSETS.js.file}" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Links to the current page in every locale, keeping the other query parameters. */
function localeSwitcher(ctx: PageContext): Html {
  const codes = Object.keys(LOCALE_NAMES) as LocaleCode[];
  return html`<details class="menu" data-testid="locale-switcher">
    <summary><span class="visually-hidden">${ctx.i18n.t('layout.language')}: </span>${LOCALE_NAMES[ctx.locale]}</summary>
    <ul>
      ${codes.map(
        (code) => html`<li><a href="${ctx.basePath}${ctx.path || '/'}?${new URLSearchParams({ ...ctx.query, locale: code }).toString()}"
          hreflang="${code}" lang="${code}"${code === ctx.locale ? html` aria-current="true"` : ''}>${LOCALE_NAMES[code]}</a></li>`,
      )}
    </ul>
  </details>`;
}
