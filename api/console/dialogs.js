// Modal dialogs on the native <dialog> element: it traps focus, closes on Escape, and gives
// the dialog its role; the title names it for assistive technology.

import { h } from './dom.js';

let counter = 0;

/** Opens a modal dialog titled `title` with `body` (nodes) and `actions` (buttons). Returns
 * `{ el, body, actions, close }`; `onClose` runs once however it closes. */
export function modal({ title, body = [], actions = [], onClose = () => {}, wide = false }) {
  counter += 1;
  const titleId = `dialog-title-${counter}`;
  const bodyEl = h('div', { class: 'dialog-body' }, body);
  const actionsEl = h('div', { class: 'dialog-actions' }, actions);
  const el = h('dialog', { 'aria-labelledby': titleId, class: wide ? 'wide' : null },
    h('h2', { id: titleId }, title), bodyEl, actionsEl);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (el.open) el.close();
    el.remove();
    onClose();
  };
  el.addEventListener('close', close);
  document.body.append(el);
  el.showModal();
  return { el, body: bodyEl, actions: actionsEl, close, isOpen: () => !closed };
}

/** Asks a yes/no question; resolves true when `confirmLabel` is pressed. */
export function confirm({ title, message, confirmLabel, cancelLabel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => { answer = true; d.close(); } }, confirmLabel);
    const no = h('button', { type: 'button', onclick: () => d.close() }, cancelLabel);
    const d = modal({
      title,
      body: [h('p', {}, message)],
      actions: [yes, no],
      onClose: () => resolve(answer),
    });
    no.focus();
  });
}

/** A button that runs `action` once at a time: disabled while it runs. */
export function actionButton(label, action, attrs = {}) {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', async () => {
    if (b.disabled) return;
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    try {
      await action();
    } finally {
      b.removeAttribute('aria-busy');
      if (b.isConnected) b.disabled = b.dataset.forceDisabled === 'true';
    }
  });
  return b;
}

/** Disables `button` with the reason as its tooltip and accessible description. */
export function disable(button, why) {
  button.disabled = true;
  button.dataset.forceDisabled = 'true';
  button.title = why;
  button.setAttribute('aria-description', why);
}

/** Enables `button` again (clearing what `disable` set). */
export function enable(button) {
  button.disabled = false;
  delete button.dataset.forceDisabled;
  button.removeAttribute('title');
  button.removeAttribute('aria-description');
}
