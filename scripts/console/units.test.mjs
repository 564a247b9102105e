// The console's pure decisions, as tables: the event-stream parser, the words after
// "Status at …", gluster's replica-set rule for a brick selection, and how figures read.
// These need no browser and no service.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventReader, parseEvent, query } from '../../api/console/api.js';
import { ending } from '../../api/console/status_dialog.js';
import { selectionRule } from '../../api/console/remove_dialog.js';
import * as fmt from '../../api/console/format.js';

test('event blocks parse as the SSE specification reads them', () => {
  const cases = [
    ['event: job\nid: 7\ndata: {"a":1}', { event: 'job', id: '7', data: '{"a":1}' }],
    ['data: one\ndata: two', { event: 'message', id: null, data: 'one\ntwo' }],
    ['event: timeline\ndata:{"x":2}', { event: 'timeline', id: null, data: '{"x":2}' }],
    ['data:  two spaces', { event: 'message', id: null, data: ' two spaces' }],
    [': keep-alive', null],
    ['', null],
    ['event: progress\n: comment\ndata: {}', { event: 'progress', id: null, data: '{}' }],
  ];
  for (const [block, want] of cases) assert.deepEqual(parseEvent(block), want, JSON.stringify(block));
});

test('a feed read in chunks gives the same events wherever the chunks split', () => {
  const feed = 'event: timeline\r\ndata: {"seq":1}\r\n\r\n: keep-alive\n\nevent: job\rid: 7\rdata: {"a":1}\r\r'
    + 'event: job\nid: 8\ndata: {"b":2}\n\n';
  const want = [
    { event: 'timeline', id: null, data: '{"seq":1}' },
    { event: 'job', id: '7', data: '{"a":1}' },
    { event: 'job', id: '8', data: '{"b":2}' },
  ];
  // Every split into two chunks, and one character at a time.
  for (let i = 0; i <= feed.length; i += 1) {
    const r = eventReader();
    assert.deepEqual([...r.push(feed.slice(0, i)), ...r.push(feed.slice(i))], want, `split at ${i}`);
  }
  const r = eventReader();
  assert.deepEqual([...feed].flatMap((c) => r.push(c)), want, 'one character at a time');
  // An event is not complete before its blank line.
  assert.deepEqual(eventReader().push('event: job\nid: 9\ndata: {}\n'), []);
});

test('instants sort in time order whatever their fraction digits', () => {
  const cases = [
    ['2026-12-01T20:54:05Z', '2026-12-01T20:54:05.5Z'],
    ['2026-12-01T20:54:05.123Z', '2026-12-01T20:54:05.123456Z'],
    ['2026-12-01T20:54:05.9Z', '2026-12-01T20:54:06Z'],
    ['2026-12-01T20:54:05.000000001Z', '2026-12-01T20:54:05.00000001Z'],
  ];
  for (const [earlier, later] of cases) assert.ok(fmt.instant(earlier) < fmt.instant(later), `${earlier} < ${later}`);
  assert.equal(fmt.instant('2026-12-01T20:54:05+00:00'), fmt.instant('2026-12-01T20:54:05.000Z'));
});

test('query strings leave out unset filters', () => {
  assert.equal(query({ status: '', kind: 'rebalance', cursor: null, limit: 50 }), '?kind=rebalance&limit=50');
  assert.equal(query({ a: undefined }), '');
});

test('"Status at" ends with what gluster\'s flows say', () => {
  const cases = [
    ['rebalance', { job_status: 'running', status: 'in_progress' }, null],
    ['rebalance', { job_status: 'pending', status: null }, null],
    ['rebalance', { job_status: 'succeeded', status: 'completed' }, '(Rebalance Completed)'],
    ['rebalance', { job_status: 'succeeded', status: 'fix_layout_completed' }, '(Rebalance Completed)'],
    ['rebalance', { job_status: 'stopped', status: 'stopped' }, '(Rebalance Stopped)'],
    ['rebalance', { job_status: 'failed', status: 'failed' }, '(Rebalance Failed)'],
    ['rebalance', { job_status: 'unknown', status: 'in_progress' }, null],
    ['remove', { job_status: 'running', status: 'in_progress' }, null],
    ['remove', { job_status: 'awaiting_commit', status: 'completed' }, '(Migration Completed: commit to finish)'],
    ['remove', { job_status: 'succeeded', status: 'completed' }, '(Migration Completed)'],
    // A removal without migration never ran a migration.
    ['remove', { job_status: 'succeeded', status: null }, '(Bricks Removed)'],
    ['remove', { job_status: 'stopped', status: 'stopped' }, '(Migration Stopped)'],
  ];
  for (const [flow, s, want] of cases) assert.equal(ending(flow, s), want, `${flow} ${JSON.stringify(s)}`);
});

const brick = (position) => ({ name: `h:/b${position}`, position });
const volume = (distribute, replica, disperse = 0) => ({
  distribute_count: distribute, replica_count: replica, disperse_count: disperse,
  bricks: Array.from({ length: distribute * Math.max(replica, disperse, 1) }, (_, i) => brick(i)),
});

test('a selection that is not whole replica or disperse sets is explained', () => {
  const cases = [
    [volume(4, 1), [0], false],
    [volume(4, 1), [0, 3], false],
    [volume(2, 3), [3, 4, 5], false],
    [volume(2, 3), [0, 1, 2, 3, 4, 5], false],
    [volume(2, 3), [3], true],
    [volume(2, 3), [2, 3, 4], true],
    [volume(3, 2), [0, 1, 4], true],
    [volume(2, 0, 6), [0, 1, 2, 3, 4, 5], false],
    [volume(2, 0, 6), [6], true],
    [volume(2, 3), [], false],
  ];
  for (const [v, picked, explained] of cases) {
    const rule = selectionRule(v, picked.map(brick));
    assert.equal(rule !== null, explained, `${v.distribute_count}×${v.replica_count || v.disperse_count} ${picked}`);
    if (explained) assert.match(rule, /Gluster removes whole (replica|disperse) sets/);
  }
});

test('figures read as people read them', () => {
  const cases = [
    [fmt.duration(0), '0 s'], [fmt.duration(59.6), '1 min 00 s'], [fmt.duration(3725), '1 h 02 min'], [fmt.duration(null), '—'],
    [fmt.bytes(0), '0 B'], [fmt.bytes(1536), '1.5 KiB'], [fmt.bytes(225 * 1024 * 1024), '225 MiB'],
    [fmt.percent(null), '—'], [fmt.percent(0.71), '0.7 %'], [fmt.percent(100), '100 %'],
    [fmt.taskStatus('fix_layout_in_progress'), 'fix-layout in progress'], [fmt.taskStatus('in_progress'), 'in progress'],
    [fmt.status('awaiting_commit'), 'awaiting commit'],
    [fmt.activity({ kind: 'rebalance', status: 'running' }), 'rebalancing'],
    [fmt.activity({ kind: 'remove_brick', status: 'running' }), 'removing bricks'],
    [fmt.activity({ kind: 'remove_brick', status: 'awaiting_commit' }), 'awaiting commit'],
    [fmt.timeLeft({ percent: null, estimated_end_at: null }), 'measuring'],
    [fmt.timeLeft({ percent: 3, estimated_end_at: null, note_code: 'measuring' }), 'measuring'],
    [fmt.timeLeft({ percent: 30, estimated_end_at: null, note_code: 'waiting_for_nodes' }), 'waiting for nodes'],
    [fmt.timeLeft({ percent: 30, estimated_end_at: null, note_code: 'fix_layout' }), 'unknown'],
    [fmt.timeLeft({ percent: 40, estimated_end_at: null, stalled_since: '2026-01-01T00:00:00Z' }), 'stalled'],
    [/^1 min (29|30) s$/.test(fmt.timeLeft({ percent: 40, estimated_end_at: new Date(Date.now() + 90400).toISOString() })), true],
    [fmt.origin('cli'), 'gluster CLI'],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});
