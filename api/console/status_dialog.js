// The status dialogs of gluster's flows: "Rebalance Status" and "Remove Bricks Status".
// A row per node, "Status at …" with "(Rebalance Completed)" once done, the progress and time
// left; while open the dialog refreshes itself on every change of its job (and every few
// seconds besides). The removal dialog has "Commit" (enabled only when the service says a
// commit is safe, and why not otherwise) and "Stop Remove"; the rebalance one "Stop Rebalance".

import { ApiError, get, post } from './api.js';
import { bar, errorBox, h, replace, announce } from './dom.js';
import { actionButton, confirm, disable, enable, modal } from './dialogs.js';
import * as fmt from './format.js';
import * as live from './live.js';
import { canOperate, VIEWER_WHY } from './session.js';

const REFRESH_MS = 3000;

/** Gluster's node states in which there is time left to show. */
const NODE_WORKING = ['in_progress', 'fix_layout_in_progress', 'not_started'];

/** Whether the task still has work to do (a removal awaiting its commit has none). */
const migrating = (jobStatus) => ['pending', 'running', 'unknown'].includes(jobStatus);

const FLOWS = {
  rebalance: {
    title: 'Rebalance Status',
    path: (id) => `/volumes/${id}/rebalance`,
    noun: 'Rebalance',
    none: 'No rebalance has run on this volume yet.',
  },
  remove: {
    title: 'Remove Bricks Status',
    path: (id) => `/volumes/${id}/bricks/remove`,
    noun: 'Migration',
    none: 'No brick removal has run on this volume yet.',
  },
};

/** The words after "Status at …": "(Rebalance Completed)" and the like, or none while running. */
export function ending(flow, s) {
  const noun = FLOWS[flow].noun;
  switch (s.job_status) {
    case 'succeeded': return flow === 'remove' && s.status !== 'completed' ? '(Bricks Removed)' : `(${noun} Completed)`;
    case 'awaiting_commit': return '(Migration Completed: commit to finish)';
    case 'stopped': return `(${noun} Stopped)`;
    case 'failed': return `(${noun} Failed)`;
    default: return null;
  }
}

function nodesTable(s) {
  const cols = ['Node', 'Files moved', 'Size', 'Scanned', 'Failures', 'Skipped', 'Status', 'Run time', 'Progress', 'Time left'];
  return h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Status per node' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, s.nodes.length === 0
      ? h('tr', {}, h('td', { colspan: cols.length }, 'No node has reported yet.'))
      : s.nodes.map((n) => h('tr', {},
        h('th', { scope: 'row' }, n.name),
        h('td', { class: 'num' }, fmt.count(n.files)),
        h('td', { class: 'num' }, fmt.bytes(n.size_bytes)),
        h('td', { class: 'num' }, fmt.count(n.scanned)),
        h('td', { class: 'num' }, fmt.count(n.failures)),
        h('td', { class: 'num' }, fmt.count(n.skipped)),
        h('td', {}, fmt.taskStatus(n.status)),
        h('td', { class: 'num' }, fmt.duration(n.runtime_secs)),
        h('td', {}, n.estimate && n.estimate.percent !== null && n.estimate.percent !== undefined
          ? [bar(`Progress of ${n.name}`, n.estimate.percent), ' ', fmt.percent(n.estimate.percent)] : '—'),
        h('td', {}, n.estimate && NODE_WORKING.includes(n.status) ? fmt.timeLeft(n.estimate) : '—'))))));
}

function summary(flow, s, job) {
  const end = ending(flow, s);
  const p = job ? job.progress : null;
  return [
    h('p', { class: 'status-at' }, `Status at ${fmt.when(s.polled_at)}`, end ? ` ${end}` : null),
    s.stale_since ? h('p', { class: 'notice', role: 'alert' }, `Gluster has not answered since ${fmt.when(s.stale_since)}: this is the last status known.`) : null,
    p ? h('p', { class: 'overall' }, 'Overall: ', bar(`${FLOWS[flow].title} progress`, p.percent), ' ',
      fmt.percent(p.percent),
      migrating(s.job_status) ? [' · time left ', fmt.timeLeft(p)] : [' · ran ', fmt.duration(s.aggregate.runtime_secs)],
      p.note ? h('span', { class: 'note' }, ` (${p.note})`) : null) : null,
    job && job.reason ? h('p', { class: 'reason' }, job.reason) : null,
    flow === 'remove' ? h('p', {}, 'Bricks: ', s.bricks.join(', ')) : null,
  ];
}

/** Opens the status dialog of `flow` ('rebalance' or 'remove') for volume `v`; `initial` is a
 * status already in hand (the answer of a stop). */
export function openStatus(flow, v, initial = null) {
  const f = FLOWS[flow];
  const content = h('div', {}, 'Loading…');
  // Only the ending ("(Rebalance Completed)") is announced, once, not every refresh.
  const spoken = h('p', { class: 'sr-only', role: 'status' });
  const problem = h('div', {});
  const close = h('button', { type: 'button', onclick: () => d.close() }, 'Close');
  const actions = [];
  let current = initial;
  let jobId = initial ? initial.job_id : null;

  const stop = actionButton(flow === 'rebalance' ? 'Stop Rebalance' : 'Stop Remove', async () => {
    const ok = await confirm({
      title: flow === 'rebalance' ? 'Stop Rebalance' : 'Stop Remove',
      message: flow === 'rebalance'
        ? `Stop the rebalance of volume ${v.name}? Files already moved stay where they are.`
        : `Stop removing bricks from volume ${v.name}? The bricks stay in the volume; files already moved stay where they moved.`,
      confirmLabel: flow === 'rebalance' ? 'Stop Rebalance' : 'Stop Remove',
      danger: true,
    });
    if (!ok) return;
    try {
      const s = await post(`${f.path(v.id)}/stop`, {});
      announce(`${flow === 'rebalance' ? 'Rebalance' : 'Removal'} of ${v.name} stopped`);
      show(s);
    } catch (err) {
      replace(problem, errorBox(err));
    }
  });
  actions.push(stop);

  let commit = null;
  if (flow === 'remove') {
    commit = actionButton('Commit', async () => {
      const ok = await confirm({
        title: 'Commit',
        message: `Commit the removal of ${current.bricks.join(', ')} from volume ${v.name}? The bricks leave the volume; files left on them are no longer part of it.`,
        confirmLabel: 'Commit',
      });
      if (!ok) return;
      try {
        const j = await post(`${f.path(v.id)}/commit`, {});
        live.remember(j);
        announce(`Removal committed on ${v.name}`);
        await refresh();
      } catch (err) {
        replace(problem, errorBox(err));
      }
    }, { class: 'primary' });
    actions.unshift(commit);
  }
  actions.push(close);
  for (const b of [stop, commit].filter(Boolean)) disable(b, 'Loading the status…');

  function buttons(s) {
    const active = fmt.isActive(s.job_status);
    const running = s.job_status === 'running' || s.job_status === 'pending' || s.job_status === 'unknown';
    const stoppable = flow === 'remove' ? active : running;
    if (!canOperate()) disable(stop, VIEWER_WHY);
    else if (!stoppable) disable(stop, 'Nothing to stop: the task has ended.');
    else enable(stop);
    if (commit) {
      if (!canOperate()) disable(commit, VIEWER_WHY);
      else if (!s.commit_allowed) disable(commit, s.commit_blocked_by || (active ? 'Migration is not complete yet.' : 'The removal has ended.'));
      else enable(commit);
      const why = document.getElementById(commitWhyId);
      if (why) why.textContent = s.commit_allowed || !active ? '' : `Commit is not possible yet: ${s.commit_blocked_by || 'migration is not complete'}.`;
      commit.setAttribute('aria-describedby', commitWhyId);
    }
  }

  const commitWhyId = `commit-why-${Math.random().toString(36).slice(2)}`;
  let said = null;
  function show(s) {
    current = s;
    jobId = s.job_id;
    const end = ending(flow, s);
    if (end !== said) {
      said = end;
      spoken.textContent = end ? `${f.title} of ${v.name}: ${end}` : '';
    }
    replace(content, summary(flow, s, live.job(s.job_id)), nodesTable(s),
      flow === 'remove' ? h('p', { id: commitWhyId, class: 'why' }) : null);
    buttons(s);
  }

  // Refreshes overlap (events, the timer, a commit): only the latest answer is shown.
  let asked = 0;
  async function refresh() {
    asked += 1;
    const gen = asked;
    try {
      const s = await get(f.path(v.id));
      if (!live.job(s.job_id)) await live.fetchJob(s.job_id).catch(() => null);
      if (d.isOpen() && gen === asked) show(s);
    } catch (err) {
      if (gen !== asked) return;
      if (err instanceof ApiError && err.status === 404 && !current) {
        replace(content, h('p', {}, f.none));
        disable(stop, 'Nothing to stop.');
        if (commit) disable(commit, 'Nothing to commit.');
      } else if (d.isOpen()) replace(problem, errorBox(err));
    }
  }

  const d = modal({
    title: `${f.title}: ${v.name}`,
    body: [spoken, content, problem],
    actions,
    wide: true,
    onClose: () => { unsubscribe(); clearInterval(timer); },
  });
  const kind = flow === 'rebalance' ? 'rebalance' : 'remove_brick';
  const unsubscribe = live.subscribe((j) => { if (j.id === jobId || (!jobId && j.volume_id === v.id && j.kind === kind)) refresh(); });
  const timer = setInterval(refresh, REFRESH_MS);
  if (initial) show(initial);
  refresh();
  close.focus();
  return d;
}
