// The volume view: its details, gluster's rebalance flow ("Start Rebalance", "Rebalance
// Status", "Stop Rebalance") and its bricks, selectable for "Remove" and followed by
// "Removal Status". Redrawn on every change of a job on the volume.

import { get, post } from './api.js';
import { errorBox, h, replace, announce } from './dom.js';
import { actionButton, confirm, disable, modal } from './dialogs.js';
import * as fmt from './format.js';
import * as live from './live.js';
import { openRemove } from './remove_dialog.js';
import { canOperate, VIEWER_WHY } from './session.js';
import { openStatus } from './status_dialog.js';
import { activityCell } from './volumes.js';

function startDialog(v, after) {
  const fix = h('input', { type: 'checkbox', id: 'rb-fix-layout' });
  const force = h('input', { type: 'checkbox', id: 'rb-force' });
  const problem = h('div', {});
  const start = actionButton('Start', async () => {
    replace(problem);
    try {
      const j = await post(`/volumes/${v.id}/rebalance`, { fix_layout: fix.checked, force: force.checked });
      live.remember(j);
      d.close();
      announce(`Rebalance started on ${v.name}`);
      after();
    } catch (err) {
      replace(problem, errorBox(err));
    }
  }, { class: 'primary' });
  const d = modal({
    title: `Start Rebalance: ${v.name}`,
    body: [
      h('p', {}, 'Spreads the volume\'s files over all its bricks (gluster volume rebalance … start).'),
      h('div', { class: 'check' }, fix, h('label', { for: 'rb-fix-layout' }, 'Fix layout only')),
      h('p', { class: 'hint' }, 'Recompute the layout so new files use new bricks; move no existing file.'),
      h('div', { class: 'check' }, force, h('label', { for: 'rb-force' }, 'Force')),
      h('p', { class: 'hint' }, 'Move files even to bricks with less free space than their source.'),
      problem,
    ],
    actions: [start, h('button', { type: 'button', onclick: () => d.close() }, 'Cancel')],
  });
  start.focus();
}

async function stopRebalance(v, problem) {
  const ok = await confirm({
    title: 'Stop Rebalance',
    message: `Stop the rebalance of volume ${v.name}? Files already moved stay where they are.`,
    confirmLabel: 'Stop Rebalance',
    danger: true,
  });
  if (!ok) return;
  try {
    const s = await post(`/volumes/${v.id}/rebalance/stop`, {});
    announce(`Rebalance of ${v.name} stopped`);
    openStatus('rebalance', v, s);
  } catch (err) {
    replace(problem, errorBox(err));
  }
}

function bricksTable(v, selected, onSelect) {
  const width = v.replica_count > 1 ? v.replica_count : v.disperse_count > 1 ? v.disperse_count : 1;
  return h('div', { class: 'scroll' }, h('table', { 'aria-label': `Bricks of ${v.name}` },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')),
      ['Brick', width > 1 ? 'Set' : null, 'Host', 'Path', 'Role', 'Activity'].filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, v.bricks.map((b) => {
      const box = h('input', { type: 'checkbox', id: `brick-${b.id}`, checked: selected.has(b.name), 'aria-label': `Select brick ${b.name}` });
      box.addEventListener('change', () => onSelect(b.name, box.checked));
      return h('tr', {},
        h('td', {}, box),
        h('th', { scope: 'row' }, h('label', { for: `brick-${b.id}` }, b.name)),
        width > 1 ? h('td', { class: 'num' }, String(Math.floor(b.position / width) + 1)) : null,
        h('td', {}, b.host),
        h('td', {}, b.path),
        h('td', {}, b.is_arbiter ? 'arbiter' : 'data'),
        h('td', {}, b.activity ? `${fmt.activity(b.activity)}` : '—'));
    }))));
}

/** Draws the view of volume `id` in `main`; returns its cleanup. */
export function renderVolume(main, id) {
  const selected = new Set();
  const body = h('div', { 'aria-busy': 'true' }, 'Loading…');
  replace(main, h('p', {}, h('a', { href: '#/volumes' }, '← Volumes')), body);
  let gone = false;
  let timer = null;
  // One error box for the view's life: a redraw (a job event) keeps what it shows.
  const problem = h('div', {});
  let shown = null;
  let loads = 0;
  const draw = (v) => {
    const focused = document.activeElement && document.activeElement.id;
    const act = v.activity ? (live.job(v.activity.job_id) || v.activity) : null;
    const busy = act && fmt.isActive(act.status);
    const rebalancing = busy && act.kind === 'rebalance' && act.status !== 'awaiting_commit';
    const start = h('button', { type: 'button', class: 'primary', onclick: () => startDialog(v, load) }, 'Start Rebalance');
    const status = h('button', { type: 'button', onclick: () => openStatus('rebalance', v) }, 'Rebalance Status');
    const stop = actionButton('Stop Rebalance', () => { replace(problem); return stopRebalance(v, problem); });
    const remove = h('button', { type: 'button', class: 'primary' }, 'Remove');
    remove.addEventListener('click', () => openRemove(v, v.bricks.filter((b) => selected.has(b.name)), load));
    const removal = h('button', { type: 'button', onclick: () => openStatus('remove', v) }, 'Removal Status');
    if (!canOperate()) [start, stop, remove].forEach((b) => disable(b, VIEWER_WHY));
    else {
      if (busy) disable(start, `A task is active on ${v.name}: ${fmt.activity(act)}.`);
      if (v.status !== 'started') disable(start, `The volume is ${v.status}: gluster rebalances started volumes only.`);
      if (!rebalancing) disable(stop, 'No rebalance is running on this volume.');
      if (busy) disable(remove, `A task is active on ${v.name}: ${fmt.activity(act)}.`);
      else if (selected.size === 0) disable(remove, 'Select the bricks to remove first.');
    }
    const onSelect = (name, on) => {
      if (on) selected.add(name); else selected.delete(name);
      draw(v);
    };
    replace(body,
      h('h1', {}, `Volume ${v.name}`),
      canOperate() ? null : h('p', { class: 'notice', id: 'read-only' }, VIEWER_WHY),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Type'), h('dd', {}, fmt.volumeType(v.type)),
        h('dt', {}, 'Status'), h('dd', {}, v.status),
        h('dt', {}, 'Bricks'), h('dd', {}, v.replica_count > 1 ? `${v.distribute_count} × ${v.replica_count} = ${v.brick_count}` : String(v.brick_count)),
        h('dt', {}, 'Activity'), h('dd', {}, activityCell(v))),
      h('section', { 'aria-labelledby': 'rebalance-h' },
        h('h2', { id: 'rebalance-h' }, 'Rebalance'),
        h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Rebalance' }, start, status, stop)),
      problem,
      h('section', { 'aria-labelledby': 'bricks-h' },
        h('h2', { id: 'bricks-h' }, 'Bricks'),
        h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Bricks' }, remove, removal,
          h('span', { class: 'hint' }, `${selected.size} selected`)),
        bricksTable(v, selected, onSelect)));
    [[start, 'start-rebalance'], [status, 'rebalance-status'], [stop, 'stop-rebalance'], [remove, 'remove-bricks'], [removal, 'removal-status']]
      .forEach(([b, bid]) => { b.id = bid; });
    if (focused) document.getElementById(focused)?.focus();
  };
  const load = async () => {
    // Loads overlap (job events, the inventory timer, a start): only the latest one draws.
    loads += 1;
    const gen = loads;
    try {
      const v = await get(`/volumes/${id}`);
      for (const name of [...selected]) if (!v.bricks.some((b) => b.name === name)) selected.delete(name);
      if (v.activity && !live.job(v.activity.job_id)) await live.fetchJob(v.activity.job_id).catch(() => null);
      if (gone || gen !== loads) return;
      // Redraw only what changed: an unchanged view keeps its focus and selection as they are.
      const j = v.activity ? live.job(v.activity.job_id) : null;
      const key = JSON.stringify([v, j ? [j.status, j.updated_at] : null]);
      if (key === shown) return;
      shown = key;
      draw(v);
    } catch (err) {
      if (!gone && gen === loads) {
        replace(problem, errorBox(err));
        if (shown === null) replace(body, problem);
      }
    }
    body.removeAttribute('aria-busy');
  };
  load();
  const unsubscribe = live.subscribe((j) => {
    if (j.volume_id !== id || timer) return;
    timer = setTimeout(() => { timer = null; if (!gone) load(); }, 300);
  });
  const unresync = live.subscribeResync(load);
  // The inventory (bricks added or gone after a commit) changes without a job event.
  const inventory = setInterval(() => { if (!document.querySelector('dialog[open]')) load(); }, 5000);
  return () => {
    gone = true;
    unsubscribe();
    unresync();
    clearTimeout(timer);
    clearInterval(inventory);
  };
}
