import { createHash } from 'node:crypto';
import { clientScript } from './client-script.js';
import { styles } from './styles.js';

export interface Asset {
  /** File name with a content hash, so pages can let browsers cache it for good. */
  file: string;
  contentType: string;
  body: string;
}

function asset(name: string, extension: string, contentType: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { file: `${name}.${hash}.${extension}`, contentType, body };
}

/**
 * Served as files rather than inlined, so host apps with a Content-Security-Policy of
 * `'self'` (helmet's default) run the dashboard unchanged.
 */
export const ASSETS = {
  css: asset('dashboard', 'css', 'text/css; charset=utf-8', styles),
  js: asset('dashboard', 'js', 'text/javascript; charset=utf-8', clientScript),
};
