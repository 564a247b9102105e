// The live side: one /events feed for the whole console, and the jobs it has seen.
//
// Every change of any job arrives once on the feed (`job` events carry the whole job,
// `timeline` events the entries it added); views subscribe and redraw what they show.

import { follow, get } from './api.js';
import { instant } from './format.js';

const jobs = new Map();
const onJob = new Set();
const onTimeline = new Set();
const onResync = new Set();
let controller = null;

/** The latest known version of job `id` (undefined when not seen yet). */
export const job = (id) => jobs.get(id);

/** Keeps `j` unless a newer version is already known; true when it was kept. */
export function remember(j) {
  const old = jobs.get(j.id);
  if (old && instant(old.updated_at) > instant(j.updated_at)) return false;
  jobs.set(j.id, j);
  return true;
}

/** Calls `f(job)` on every job change; returns the unsubscribe function. */
export function subscribe(f) {
  onJob.add(f);
  return () => onJob.delete(f);
}

/** Calls `f(entry)` on every new timeline entry; returns the unsubscribe function. */
export function subscribeTimeline(f) {
  onTimeline.add(f);
  return () => onTimeline.delete(f);
}

/** Calls `f()` after the feed reconnected (changes may have been missed meanwhile: reload);
 * returns the unsubscribe function. */
export function subscribeResync(f) {
  onResync.add(f);
  return () => onResync.delete(f);
}

/** Every job seen so far. */
export const known = () => [...jobs.values()];

/** The job `id`, from memory or the API. */
export async function fetchJob(id) {
  const j = await get(`/jobs/${id}`);
  remember(j);
  return jobs.get(id);
}

function dispatch(ev) {
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return;
  }
  if (ev.event === 'job' && remember(data)) for (const f of onJob) f(data);
  else if (ev.event === 'timeline') for (const f of onTimeline) f(data);
}

function showState(state) {
  const el = document.getElementById('feed-state');
  if (!el) return;
  el.textContent = state === 'live' ? 'live' : 'reconnecting…';
  el.dataset.state = state;
}

/** Opens the feed (once per sign-in). */
export function start() {
  stop();
  controller = new AbortController();
  follow('/events', dispatch, controller.signal, showState, () => { for (const f of onResync) f(); });
}

/** Closes the feed and forgets every job (at sign-out). */
export function stop() {
  if (controller) controller.abort();
  controller = null;
  jobs.clear();
}
