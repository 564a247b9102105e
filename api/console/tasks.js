// The Tasks screen: every job, newest first, whoever started it (REST API or gluster CLI),
// filterable by status, kind, volume and origin. New and changed jobs arrive from the feed
// without a reload; "Details" shows a job's steps and its timeline, which grows live too.

import { get, query } from './api.js';
import { bar, errorBox, h, replace } from './dom.js';
import * as fmt from './format.js';
import * as live from './live.js';
import { loadVolumes } from './volumes.js';

const PAGE = 50;
const STATUSES = ['pending', 'running', 'awaiting_commit', 'succeeded', 'failed', 'stopped', 'unknown'];

function select(id, label, options, value, onChange) {
  const s = h('select', { id }, h('option', { value: '' }, 'All'),
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  s.addEventListener('change', () => onChange(s.value));
  return h('div', { class: 'field' }, h('label', { for: id }, label), s);
}

function steps(list) {
  if (!list || list.length === 0) return null;
  return h('ul', { class: 'steps' }, list.map((s) => h('li', {},
    h('span', { class: `state state-${s.status}` }, fmt.status(s.status)), ' ', s.description,
    s.started_at ? h('span', { class: 'hint' }, ` (${fmt.when(s.started_at)}${s.ended_at ? ` – ${fmt.when(s.ended_at)}` : ''})`) : null,
    steps(s.steps))));
}

function entryText(e) {
  const change = e.kind === 'state_changed' ? `${fmt.status(e.from)} → ${fmt.status(e.to)}` : e.kind.replaceAll('_', ' ');
  return [h('time', { datetime: e.at }, fmt.when(e.at)), ' ', h('strong', {}, change),
    e.actor ? ` by ${e.actor}` : null, e.node ? ` on ${e.node}` : null, e.message ? `: ${e.message}` : null];
}

/** The details of job `j`: steps and timeline. Returns the node, `update(job)` for the steps
 * when the job changes, and the cleanup. Timeline entries that arrive while the timeline is
 * being read are kept and merged in by sequence, so none is lost or shown twice. */
function details(j) {
  const timeline = h('ol', { class: 'timeline', 'aria-label': `Timeline of job ${j.id}` }, h('li', {}, 'Loading…'));
  const entries = new Map();
  let loaded = false;
  const drawTimeline = () => replace(timeline,
    [...entries.values()].sort((a, b) => a.seq - b.seq).map((e) => h('li', {}, entryText(e))));
  const add = (e) => {
    if (entries.has(e.seq)) return;
    entries.set(e.seq, e);
    if (loaded) drawTimeline();
  };
  get(`/jobs/${j.id}/timeline`).then((t) => {
    t.entries.forEach(add);
    loaded = true;
    drawTimeline();
  }).catch((err) => replace(timeline, h('li', {}, errorBox(err))));
  const off = live.subscribeTimeline((e) => { if (e.job_id === j.id) add(e); });
  const stepsBox = h('div', {});
  const update = (job) => replace(stepsBox, steps(job.steps) || h('p', {}, 'None yet.'),
    job.reason ? h('p', { class: 'reason' }, job.reason) : null);
  update(j);
  const node = h('div', { class: 'details' },
    h('h3', {}, 'Steps'), stepsBox,
    h('h3', {}, 'Timeline'), timeline,
    h('p', { class: 'hint' }, `Job ${j.id}`, j.gluster_task_id ? ` · gluster task ${j.gluster_task_id}` : '', j.request_id ? ` · request ${j.request_id}` : ''));
  return { node, off, update };
}

function row(j, names, open, toggle) {
  const p = j.progress || {};
  const button = h('button', { type: 'button', id: `job-${j.id}-details`, class: 'link', 'aria-expanded': open ? 'true' : 'false', onclick: () => toggle(j.id) },
    open ? 'Hide' : 'Details');
  button.setAttribute('aria-label', `${open ? 'Hide' : 'Details'}: ${fmt.kind(j.kind)} of ${j.volume_name}`);
  const ended = !fmt.isActive(j.status);
  return h('tr', { 'data-job': j.id },
    h('td', {}, fmt.kind(j.kind)),
    h('th', { scope: 'row' }, h('a', { href: `#/volumes/${j.volume_id}`, id: `job-${j.id}-volume` }, j.volume_name), h('span', { class: 'hint' }, ` ${names.get(j.cluster_id) || ''}`)),
    h('td', {}, h('span', { class: `state state-${j.status}` }, fmt.status(j.status)),
      j.stalled_since ? h('span', { class: 'warn' }, ' stalled') : null),
    h('td', {}, ended && j.status !== 'succeeded' ? '—' : [bar(`Progress of ${fmt.kind(j.kind)} on ${j.volume_name}`, j.status === 'succeeded' ? 100 : p.percent), ' ', fmt.percent(j.status === 'succeeded' ? 100 : p.percent)]),
    h('td', {}, ended ? '—' : fmt.timeLeft(p)),
    h('td', {}, fmt.origin(j.origin)),
    h('td', {}, j.initiator || (j.origin === 'cli' ? 'gluster CLI' : '—')),
    h('td', {}, fmt.when(j.created_at)),
    h('td', {}, button));
}

/** Draws the screen in `main`; returns its cleanup. */
export function renderTasks(main) {
  const filter = { status: '', kind: '', volume_id: '', origin: '' };
  const shown = new Map();
  let order = [];
  let cursor = null;
  let names = new Map();
  const open = new Map();
  let gone = false;
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const problem = h('div', {});
  const filters = h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks' });

  const matches = (j) => Object.entries(filter).every(([k, v]) => !v || String(j[k]) === v);
  const draw = () => {
    const rows = [];
    for (const id of order) {
      const j = live.job(id) || shown.get(id);
      rows.push(row(j, names, open.has(id), toggle));
      if (open.has(id)) rows.push(h('tr', { class: 'detail-row' }, h('td', { colspan: 9 }, open.get(id).node)));
    }
    if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 9 }, 'No task matches.')));
    const focused = document.activeElement && document.activeElement.id;
    replace(tbody, rows);
    if (focused) document.getElementById(focused)?.focus();
  };
  function toggle(id) {
    if (open.has(id)) {
      open.get(id).off();
      open.delete(id);
    } else open.set(id, details(live.job(id) || shown.get(id)));
    draw();
  }
  // Newest first, as the API lists them (created_at, then id).
  const newer = (a, b) => {
    const ka = fmt.instant(a.created_at);
    const kb = fmt.instant(b.created_at);
    if (ka !== kb) return ka > kb ? -1 : 1;
    return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
  };
  const sortIn = (j) => {
    shown.set(j.id, j);
    if (!order.includes(j.id)) {
      order.push(j.id);
      order.sort((a, b) => newer(shown.get(a), shown.get(b)));
    }
  };
  // Loads overlap (a filter changed twice, "Load more" across a filter change): only the
  // latest one's answer is applied.
  let loads = 0;
  const load = async (next = null) => {
    loads += 1;
    const gen = loads;
    try {
      const page = await get(`/jobs${query({ ...filter, limit: PAGE, cursor: next })}`);
      if (gone || gen !== loads) return;
      if (!next) { shown.clear(); order = []; }
      for (const j of page.items) { live.remember(j); sortIn(live.job(j.id) || j); }
      // Jobs the feed brought while the page was read belong on it too.
      const oldest = page.next_cursor && page.items.length ? page.items[page.items.length - 1] : null;
      for (const j of live.known()) if (matches(j) && (!oldest || newer(j, oldest) < 0)) sortIn(j);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      replace(problem);
      draw();
    } catch (err) {
      if (gen === loads) replace(problem, errorBox(err));
    }
  };
  more.addEventListener('click', () => load(cursor));

  const drawFilters = (vols) => replace(filters,
    select('f-status', 'Status', STATUSES.map((s) => [s, fmt.status(s)]), filter.status, (v) => { filter.status = v; load(); }),
    select('f-kind', 'Kind', [['rebalance', 'Rebalance'], ['remove_brick', 'Remove bricks']], filter.kind, (v) => { filter.kind = v; load(); }),
    select('f-volume', 'Volume', vols.map((v) => [v.id, v.name]), filter.volume_id, (v) => { filter.volume_id = v; load(); }),
    select('f-origin', 'Origin', [['api', 'REST API'], ['cli', 'gluster CLI']], filter.origin, (v) => { filter.origin = v; load(); }));
  drawFilters([]);
  loadVolumes().then(({ names: n, volumes }) => { names = n; if (!gone) { drawFilters(volumes); draw(); } }).catch(() => {});

  replace(main, h('h1', {}, 'Tasks'), filters, problem,
    h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Tasks' },
      h('thead', {}, h('tr', {}, ['Kind', 'Volume', 'Status', 'Progress', 'Time left', 'Origin', 'Initiator', 'Created', 'Details']
        .map((c) => h('th', { scope: 'col' }, c)))), tbody)), more);
  load();
  const unsubscribe = live.subscribe((j) => {
    if (gone) return;
    if (shown.has(j.id)) shown.set(j.id, j);
    else if (matches(j)) sortIn(j);
    else return;
    if (open.has(j.id)) open.get(j.id).update(j);
    draw();
  });
  const unresync = live.subscribeResync(() => load());
  return () => {
    gone = true;
    unsubscribe();
    unresync();
    for (const d of open.values()) d.off();
  };
}
