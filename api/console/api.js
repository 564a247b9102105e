// The REST API as the console uses it: the token, JSON requests, problem+json errors and the
// server-sent event feeds.
//
// The token lives in sessionStorage: it survives a reload of the tab, ends with the tab, and is
// never put in a URL. EventSource cannot send an Authorization header, so the feeds are read
// with fetch() and parsed here.

const KEY = 'gluster-tasks.token';
export const BASE = '/api/v1';

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (t) => sessionStorage.setItem(KEY, t);
export const forgetToken = () => sessionStorage.removeItem(KEY);

/** A refused or failed request: the problem+json document's fields. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || `the server answered ${status}`;
    this.code = problem.code || null;
    this.glusterMessage = problem.gluster_message || null;
    this.jobId = problem.job_id || null;
  }
}

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function problemOf(res) {
  try {
    return await res.json();
  } catch {
    return { detail: `the server answered ${res.status} ${res.statusText}` };
  }
}

/** Sends a request; resolves to the parsed body, or rejects with an ApiError. A 401 also
 * fires `gt:unauthorized` on window (the console goes back to sign-in). */
export async function request(method, path, body) {
  const init = { method, headers: headers(), cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, { title: 'Unreachable', detail: `the service did not answer (${e.message})` });
  }
  if (res.status === 401) window.dispatchEvent(new CustomEvent('gt:unauthorized'));
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);

/** A query string of the set values of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Splits a feed's text, chunk by chunk, into events: `push(chunk)` returns the events the
 * chunk completed. Line ends may be LF, CRLF or CR, and a chunk may end anywhere (between the
 * CR and LF of one line end too). */
export function eventReader() {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk;
      // A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
      const held = buf.endsWith('\r') ? '\r' : '';
      let text = (held ? buf.slice(0, -1) : buf).replace(/\r\n?/g, '\n');
      const out = [];
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const ev = parseEvent(text.slice(0, end));
        text = text.slice(end + 2);
        if (ev) out.push(ev);
      }
      buf = text + held;
      return out;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Follows a server-sent event feed until `signal` aborts, calling `onEvent({event, data, id})`
 * for each event. After a failure it reconnects (waiting longer each time, or as long as a 503's
 * `Retry-After` says), resuming after the last `id` received; a resume the server refuses
 * (400: an id it cannot have sent, after a restore) starts afresh. `onState` hears 'live' and
 * 'reconnecting'; `onResync` runs after every reconnection, since a view may have missed
 * changes in the gap (without an id to resume from, the feed starts from now). */
export async function follow(path, onEvent, signal, onState = () => {}, onResync = () => {}) {
  let lastId = null;
  let failures = 0;
  while (!signal.aborted) {
    let wait = Math.min(10000, 1000 * 2 ** failures);
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (lastId !== null) h['Last-Event-ID'] = lastId;
      const res = await fetch(BASE + path, { headers: h, signal, cache: 'no-store' });
      if (res.status === 401) {
        window.dispatchEvent(new CustomEvent('gt:unauthorized'));
        return;
      }
      if (res.status === 400 && lastId !== null) {
        lastId = null;
        wait = 0;
        throw new Error('the server cannot resume from the last event');
      }
      if (res.status === 503) wait = 1000 * (Number(res.headers.get('Retry-After')) || 5);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState('live');
      if (failures > 0) onResync();
      failures = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const events = eventReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of events.push(value)) {
          if (ev.id !== null) lastId = ev.id;
          onEvent(ev);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    failures += 1;
    onState('reconnecting');
    await sleep(wait);
  }
}

/** One event block of a feed, its lines already split on LF (null for a comment-only block). */
export function parseEvent(block) {
  let event = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0 && id === null) return null;
  return { event, id, data: data.join('\n') };
}
