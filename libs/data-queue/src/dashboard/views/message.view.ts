import { href } from './components.view.js';
import { html, type Html } from './html.js';
import { bareLayout, layout } from './layout.view.js';
import type { PageContext } from './view-models.js';

export interface MessageModel {
  /** 403 (dashboard closed, or refused by the app's guard), 404 (unknown page, job or batch), … */
  status: number;
  /** The server's own explanation, shown under the translated text. */
  message: string;
}

export function messageView(ctx: PageContext, { status, message }: MessageModel): Html {
  const { i18n } = ctx;
  const kind = status === 404 ? 'notFound' : status === 401 || status === 403 ? 'forbidden' : 'error';
  const title = i18n.t(`message.${kind}.title`, { status });
  const body = html`<div class="panel message" data-testid="message-${status}">
  <h1>${title}</h1>
  <p>${i18n.t(`message.${kind}.body`)}</p>
  ${message ? html`<p class="muted">${message}</p>` : ''}
  ${kind === 'forbidden' ? '' : html`<p><a href="${href(ctx, '/')}">${i18n.t('message.backToOverview')}</a></p>`}
</div>`;
  // Refused access: navigation would only lead to more refusals.
  return kind === 'forbidden' ? bareLayout(ctx, { title, body }) : layout(ctx, { title, body });
}
