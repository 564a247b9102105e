// How numbers, times and states read in the console.

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const count = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en'));

/** A duration in seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function duration(secs) {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return '—';
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(r).padStart(2, '0')} s`;
  return `${r} s`;
}

/** An instant as the browser's local date and time. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Seconds from now until `iso` (null without one). */
export function secondsUntil(iso) {
  return iso ? (new Date(iso).getTime() - Date.now()) / 1000 : null;
}

export const percent = (p) => (p === null || p === undefined ? '—' : `${p.toFixed(p >= 10 ? 0 : 1)} %`);

/** "Time left" of a job's progress: the estimate, or what stands in for it. */
export function timeLeft(progress) {
  if (!progress) return '—';
  if (progress.stalled_since || progress.note_code === 'stalled') return 'stalled';
  const left = secondsUntil(progress.estimated_end_at);
  if (left === null) {
    if (progress.note_code === 'waiting_for_nodes') return 'waiting for nodes';
    if (progress.note_code === 'measuring') return 'measuring';
    return progress.percent === null || progress.percent === undefined ? 'measuring' : 'unknown';
  }
  return left <= 0 ? 'any moment' : duration(left);
}

const STATUS = {
  pending: 'pending',
  running: 'running',
  awaiting_commit: 'awaiting commit',
  succeeded: 'succeeded',
  failed: 'failed',
  stopped: 'stopped',
  unknown: 'unknown',
};
export const status = (s) => STATUS[s] || (s ? String(s).replaceAll('_', ' ') : '—');

/** Whether a job's state can still change. */
export const isActive = (s) => ['pending', 'running', 'awaiting_commit', 'unknown'].includes(s);

export const kind = (k) => (k === 'rebalance' ? 'Rebalance' : k === 'remove_brick' ? 'Remove bricks' : k);

/** The activity column's words for a job on a volume. */
export function activity(job) {
  if (!job) return 'idle';
  if (job.status === 'awaiting_commit') return 'awaiting commit';
  if (job.kind === 'rebalance') return job.status === 'pending' ? 'starting rebalance' : 'rebalancing';
  return job.status === 'pending' ? 'starting removal' : 'removing bricks';
}

export const origin = (o) => (o === 'cli' ? 'gluster CLI' : o === 'api' ? 'REST API' : o);

export const volumeType = (t) => String(t || '').replaceAll('_', '-');

/** Gluster's own words for a task status ("in progress", "fix-layout completed"). */
export const taskStatus = (s) => (s ? String(s).replace('fix_layout_', 'fix-layout ').replaceAll('_', ' ') : '—');

/** An RFC 3339 UTC instant as a string that sorts in time order: the service writes 0 to 9
 * fraction digits ("…:05Z", "…:05.5Z", "…:05.123456Z"), which compare wrongly as they are. */
export function instant(iso) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]00:00)$/.exec(iso || '');
  return m ? `${m[1]}.${(m[2] || '').padEnd(9, '0')}Z` : String(iso || '');
}
