// The Volumes screen: every volume per cluster, with its type, state, bricks and what runs on
// it now (icon, words and progress), kept current from the job feed.

import { get, query } from './api.js';
import { bar, errorBox, h, replace } from './dom.js';
import * as fmt from './format.js';
import * as live from './live.js';

/** Every volume (all pages) and the clusters' names by id. */
export async function loadVolumes() {
  const clusters = await get('/clusters');
  const names = new Map(clusters.items.map((c) => [c.id, c.name]));
  const volumes = [];
  let cursor = null;
  do {
    const page = await get(`/volumes${query({ limit: 500, cursor })}`);
    volumes.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return { names, volumes };
}

/** The activity cell of a volume: an icon, the words, and the task's progress. */
export function activityCell(v) {
  if (!v.activity) return h('span', { class: 'idle' }, 'idle');
  const j = live.job(v.activity.job_id);
  const status = j ? j.status : v.activity.status;
  const kind = j ? j.kind : v.activity.kind;
  const words = fmt.activity({ kind, status });
  const p = j ? j.progress : null;
  const icon = status === 'awaiting_commit' ? 'icon-wait' : kind === 'rebalance' ? 'icon-rebalance' : 'icon-remove';
  return h('span', { class: 'activity' },
    h('span', { class: `icon ${icon}`, 'aria-hidden': 'true' }), ' ', words,
    p && status !== 'awaiting_commit' ? [' ', bar(`${words} ${v.name}`, p.percent), ' ', fmt.percent(p.percent), ' · ', fmt.timeLeft(p)] : null);
}

function table(names, volumes) {
  const byCluster = new Map();
  for (const v of volumes) {
    if (!byCluster.has(v.cluster_id)) byCluster.set(v.cluster_id, []);
    byCluster.get(v.cluster_id).push(v);
  }
  if (volumes.length === 0) return h('p', {}, 'No volumes yet: the inventory has not found any (is a cluster configured?).');
  return [...byCluster].map(([cid, vols]) => h('section', { 'aria-labelledby': `cluster-${cid}` },
    h('h2', { id: `cluster-${cid}` }, `Cluster ${names.get(cid) || cid}`),
    h('div', { class: 'scroll' }, h('table', { 'aria-label': `Volumes of cluster ${names.get(cid) || cid}` },
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Status', 'Bricks', 'Activity'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, vols.map((v) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/volumes/${v.id}`, id: `volume-${v.id}` }, v.name)),
        h('td', {}, fmt.volumeType(v.type)),
        h('td', {}, h('span', { class: `state state-${v.status}` }, v.status)),
        h('td', { class: 'num' }, String(v.brick_count)),
        h('td', {}, activityCell(v)))))))));
}

/** Draws the screen in `main`; returns its cleanup. */
export function renderVolumes(main) {
  const body = h('div', { 'aria-busy': 'true' }, 'Loading volumes…');
  replace(main, h('h1', {}, 'Volumes'), body);
  let timer = null;
  let gone = false;
  let loads = 0;
  let shown = null;
  const load = async () => {
    // Loads overlap: only the latest one draws, and only when something changed (a redraw
    // keeps the focus where it was).
    loads += 1;
    const gen = loads;
    try {
      const state = await loadVolumes();
      await Promise.all(state.volumes.filter((v) => v.activity && !live.job(v.activity.job_id))
        .map((v) => live.fetchJob(v.activity.job_id).catch(() => null)));
      if (gone || gen !== loads) return;
      const jobs = state.volumes.map((v) => (v.activity ? live.job(v.activity.job_id) : null));
      const key = JSON.stringify([[...state.names], state.volumes, jobs.map((j) => j && [j.status, j.updated_at])]);
      if (key === shown) return;
      shown = key;
      const focused = document.activeElement && document.activeElement.id;
      replace(body, table(state.names, state.volumes));
      if (focused) document.getElementById(focused)?.focus();
    } catch (err) {
      if (!gone && gen === loads) replace(body, errorBox(err));
    }
    body.removeAttribute('aria-busy');
  };
  load();
  // A job change can start or end an activity: reload the list (at most every 0.5 s).
  const unsubscribe = live.subscribe(() => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; if (!gone) load(); }, 500);
  });
  const unresync = live.subscribeResync(load);
  return () => {
    gone = true;
    unsubscribe();
    unresync();
    clearTimeout(timer);
  };
}
