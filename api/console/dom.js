// Building DOM nodes without HTML strings: every value is text, never markup, so nothing the
// API returns (volume names, gluster's messages) can inject script.

/** An element: `h('button', {type: 'button', onclick: f}, 'Start')`. Attributes that are
 * functions become listeners; `null`/`false` attributes are left out; children may be
 * strings, nodes, arrays or null. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Announces `text` to screen readers and shows it in the status line. */
export function announce(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

/** An error box: the problem's detail and, when gluster refused, its own words. */
export function errorBox(err) {
  if (!err) return null;
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, err.title || 'Error'), ': ', err.detail || String(err.message || err),
    err.glusterMessage ? h('div', { class: 'gluster-msg' }, 'gluster: ', h('q', {}, err.glusterMessage)) : null);
}

/** A progress bar with an accessible name and value (percent may be null: indeterminate). */
export function bar(label, percent) {
  const attrs = { class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100 };
  if (percent !== null && percent !== undefined) attrs['aria-valuenow'] = percent.toFixed(1);
  const fill = h('span', { class: 'fill' });
  fill.style.width = percent === null || percent === undefined ? '0' : `${Math.min(100, percent)}%`;
  return h('span', attrs, fill);
}
