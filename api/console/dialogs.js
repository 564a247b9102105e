// Modal dialogs on the native <dialog> element: it traps focus, closes on Escape, and gives
// the dialog its role; the title names it for assistive technology. Every open dialog is
// registered, so a change of screen or a sign-out closes them all (and their refreshes stop).
//
// Disabled controls use `aria-disabled`, not `disabled`: they stay in the tab order, so a
// keyboard or screen-reader user can reach them and hear why they are disabled.

import { h } from './dom.js';

let counter = 0;
const open = new Set();

/** Closes every open dialog (on a change of screen, at sign-out). */
export function closeAll() {
  for (const d of [...open]) d.close();
}

/** Opens a modal dialog titled `title` with `body` (nodes) and `actions` (buttons). Returns
 * `{ el, body, actions, close, isOpen }`; `onClose` runs once however it closes. Focus goes
 * back to the control that opened it (found again by id if a redraw replaced it). */
export function modal({ title, body = [], actions = [], onClose = () => {}, wide = false }) {
  counter += 1;
  const titleId = `dialog-title-${counter}`;
  const opener = document.activeElement && document.activeElement.id;
  const bodyEl = h('div', { class: 'dialog-body' }, body);
  const actionsEl = h('div', { class: 'dialog-actions' }, actions);
  const el = h('dialog', { 'aria-labelledby': titleId, class: wide ? 'wide' : null },
    h('h2', { id: titleId }, title), bodyEl, actionsEl);
  let closed = false;
  const d = { el, body: bodyEl, actions: actionsEl, isOpen: () => !closed };
  d.close = () => {
    if (closed) return;
    closed = true;
    open.delete(d);
    if (el.open) el.close();
    el.remove();
    onClose();
    const back = opener && document.getElementById(opener);
    if (back && !document.querySelector('dialog[open]')) back.focus();
  };
  el.addEventListener('close', d.close);
  open.add(d);
  document.body.append(el);
  el.showModal();
  return d;
}

/** Asks a yes/no question; resolves true when `confirmLabel` is pressed. */
export function confirm({ title, message, confirmLabel, cancelLabel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary', onclick: () => { answer = true; d.close(); } }, confirmLabel);
    const no = h('button', { type: 'button', onclick: () => d.close() }, cancelLabel);
    const d = modal({ title, body: [h('p', {}, message)], actions: [yes, no], onClose: () => resolve(answer) });
    no.focus();
  });
}

/** Whether `button` is disabled (by `disable`, or while its action runs). */
export const isDisabled = (button) => button.getAttribute('aria-disabled') === 'true';

function refresh(button) {
  const off = button.dataset.why !== undefined || button.dataset.running === 'true';
  if (off) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
}

/** Swallows clicks on a disabled button before its own listeners run. */
function guard(e) {
  if (isDisabled(e.currentTarget)) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}

/** A button that runs `action`, once at a time: disabled while it runs, whatever `enable`
 * is told meanwhile (a refresh during a commit cannot offer a second commit). */
export function actionButton(label, action, attrs = {}) {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', guard, true);
  b.dataset.guarded = 'true';
  b.addEventListener('click', async () => {
    b.dataset.running = 'true';
    refresh(b);
    b.setAttribute('aria-busy', 'true');
    try {
      await action();
    } finally {
      b.removeAttribute('aria-busy');
      delete b.dataset.running;
      refresh(b);
    }
  });
  return b;
}

/** Disables `button`, giving `why` as its tooltip; the title is also its accessible
 * description, and `aria-disabled` keeps it in the tab order where a user can hear it. */
export function disable(button, why) {
  if (!button.dataset.guarded) {
    button.addEventListener('click', guard, true);
    button.dataset.guarded = 'true';
  }
  button.dataset.why = why;
  button.title = why;
  refresh(button);
}

/** Enables `button` again (clearing what `disable` set). */
export function enable(button) {
  delete button.dataset.why;
  button.removeAttribute('title');
  refresh(button);
}
