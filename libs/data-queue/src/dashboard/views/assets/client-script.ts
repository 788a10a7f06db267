/**
 * The dashboard's only script (plain ES2020, served from /assets, deferred): theme, live refresh, row
 * selection, and the action forms (`form[data-action]`), which it POSTs as JSON with the CSRF
 * header, then reloads (or follows `data-redirect`). A job action answered with a `next` is sent
 * again with it until done, showing the form's `data-progress`; the first failure stops it.
 * Messages come translated from the page's `#dataqueue-config` (or the form's data attributes).
 */
export const clientScript = String.raw`
(() => {
  'use strict';
  const THEME_KEY = 'dataqueue.theme';
  const LIVE_KEY = 'dataqueue.live';
  const FLASH_KEY = 'dataqueue.flash';
  const read = (storage, key) => { try { return storage.getItem(key); } catch { return null; } };
  const write = (storage, key, value) => { try { storage.setItem(key, value); } catch { /* storage disabled */ } };
  const root = document.documentElement;

  // Before the first paint: the stored theme, else the system preference.
  root.dataset.theme = read(localStorage, THEME_KEY) || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');

  document.addEventListener('DOMContentLoaded', () => {
    const configElement = document.getElementById('dataqueue-config');
    if (!configElement) return;
    const config = JSON.parse(configElement.textContent);
    const messages = config.messages;
    const csrf = document.querySelector('meta[name="dataqueue-csrf"]').content;
    const numbers = new Intl.NumberFormat(root.lang);
    const format = (template, params) => template.replace(/\{(\w+)\}/g, (match, name) =>
      !Object.hasOwn(params, name) ? match : typeof params[name] === 'number' ? numbers.format(params[name]) : params[name]);

    const flashElement = document.getElementById('dataqueue-flash');
    const flash = (text, isError) => {
      flashElement.textContent = text;
      flashElement.classList.toggle('error', Boolean(isError));
      flashElement.hidden = false;
    };
    const carried = read(sessionStorage, FLASH_KEY);
    if (carried) {
      sessionStorage.removeItem(FLASH_KEY);
      const { text, isError } = JSON.parse(carried);
      flash(text, isError);
    }

    document.querySelector('[data-testid="theme-toggle"]').addEventListener('click', () => {
      root.dataset.theme = root.dataset.theme === 'dark' ? 'light' : 'dark';
      write(localStorage, THEME_KEY, root.dataset.theme);
    });

    // Row selection for the bulk toolbar.
    const rowBoxes = () => Array.from(document.querySelectorAll('input[data-row-select]'));
    const pageBox = document.querySelector('input[data-select-page]');
    const matching = document.querySelector('[data-testid="select-all-matching"]');
    const counter = document.querySelector('[data-selection-count]');
    const allMatching = () => Boolean(matching && matching.checked);
    const selectedIds = () => rowBoxes().filter((box) => box.checked).map((box) => box.value);
    const updateSelection = () => {
      const boxes = rowBoxes();
      boxes.forEach((box) => { box.disabled = allMatching(); });
      if (pageBox) {
        pageBox.disabled = allMatching();
        pageBox.checked = boxes.length > 0 && boxes.every((box) => box.checked);
      }
      if (counter) counter.textContent = allMatching() ? messages.allMatching : format(messages.selected, { count: selectedIds().length });
    };
    document.addEventListener('change', (event) => {
      const target = event.target;
      if (target === pageBox || target === matching) rowBoxes().forEach((box) => { box.checked = target.checked; });
      updateSelection();
    });
    updateSelection();

    // Actions.
    let inFlight = false;
    document.addEventListener('submit', async (event) => {
      const form = event.target;
      if (!form.matches('form[data-action]')) return;
      event.preventDefault();
      const submitter = event.submitter;
      const body = JSON.parse(form.dataset.body || '{}');
      for (const [name, value] of new FormData(form)) {
        if (value === '') continue;
        const field = form.elements.namedItem(name);
        body[name] = field && field.type === 'datetime-local' ? new Date(value).toISOString() : value;
      }
      if (submitter && submitter.name) body[submitter.name] = submitter.value;
      if ('bulk' in form.dataset) {
        if (allMatching()) body.filter = JSON.parse(form.dataset.filter);
        else body.ids = selectedIds();
        if (!body.filter && body.ids.length === 0) return flash(messages.noSelection, true);
      }
      const question = submitter && ((allMatching() && submitter.dataset.confirmAll) || submitter.dataset.confirm);
      // confirm() is modal: no live reload can fire while it is open.
      if (question && !confirm(format(question, { count: body.ids ? body.ids.length : 0 }))) return;

      inFlight = true;
      const buttons = Array.from(form.querySelectorAll('button'));
      buttons.forEach((button) => { button.disabled = true; });
      const post = async (payload) => {
        const response = await fetch(form.dataset.action, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-dataqueue-csrf': csrf },
          body: JSON.stringify(payload),
        });
        const result = await response.json().catch(() => ({}));
        if (!response.ok) {
          const message = Array.isArray(result.message) ? result.message.join('; ') : result.message;
          throw new Error(message || response.statusText || String(response.status));
        }
        return result;
      };
      // What a job action changed so far: each of its answers counts one chunk.
      let affected = 0;
      const errors = [];
      const tally = (result) => {
        affected += result.affected;
        errors.push(...(result.errors || []).map((error) => '#' + error.id + ': ' + error.message));
        return result;
      };
      try {
        let result = await post(body);
        if (typeof result.affected === 'number') {
          tally(result);
          while (result.next) {
            flash(format(form.dataset.progress || messages.affected, { count: affected }));
            result = tally(await post({ ...body, next: result.next }));
          }
          const text = [format(messages.affected, { count: affected })].concat(errors).join('\n');
          write(sessionStorage, FLASH_KEY, JSON.stringify({ text, isError: errors.length > 0 }));
        }
        if (form.dataset.redirect) location.assign(form.dataset.redirect);
        else location.reload();
      } catch (error) {
        // Chunks already done stay done: say how many, then why it stopped.
        const done = affected > 0 ? [format(messages.affected, { count: affected })] : [];
        flash(done.concat(format(messages.failed, { message: error.message }), errors).join('\n'), true);
        inFlight = false;
        buttons.forEach((button) => { button.disabled = false; });
      }
    });

    // Live refresh: reload every pollSeconds unless the user is selecting, typing or acting.
    const liveToggle = document.querySelector('[data-testid="live-toggle"]');
    let live = config.pollRequested || read(localStorage, LIVE_KEY) === 'on';
    let timer;
    const busy = () => inFlight || allMatching() || selectedIds().length > 0 ||
      Boolean(document.activeElement && document.activeElement.closest('form, details[open]'));
    const schedule = () => {
      clearTimeout(timer);
      liveToggle.setAttribute('aria-pressed', String(live));
      if (live) timer = setTimeout(() => (busy() ? schedule() : location.reload()), config.pollSeconds * 1000);
    };
    liveToggle.addEventListener('click', () => {
      live = !live;
      write(localStorage, LIVE_KEY, live ? 'on' : 'off');
      schedule();
    });
    schedule();
  });
})();
`;
