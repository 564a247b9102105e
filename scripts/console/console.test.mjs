// The console as a storage admin uses it, in Debian's Chromium driven by playwright-core,
// against `serve --demo`. Elements are found by role and accessible name, the names gluster's
// own flows use. Each test leaves a screenshot of its screen under CONSOLE_SHOTS.
//
// Run by scripts/console-check (which starts the demo); the tests run in order on one demo.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessibilityProblems, api, close, editSim, eventually, finish, glusterCli, idle, launch, openVolume, screenshot, signedIn, VIEWER_TOKEN, BASE, volumeByName,
} from './helpers.mjs';

before(launch);
after(close);

// The flows that change the simulated cluster behind the service's back need the demo that
// scripts/console-check starts (its state file and simulator).
const SIM_SKIP = process.env.CONSOLE_SIM_STATE ? false : 'needs the demo scripts/console-check starts';

/** Whether the visible "Status at …" line of a status dialog ends with `words`. */
const says = async (status, words) => (await status.getByText(/^Status at /).innerText()).endsWith(` ${words}`);

const dialog = (page, name) => page.getByRole('dialog', { name });

test('sign in: a wrong token is refused with the reason, the right one opens Volumes', async () => {
  const page = await signedIn();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /does not accept this token/);
  await screenshot(page, 'sign-in-refused');
  assert.deepEqual(await accessibilityProblems(page), [], 'sign-in');
  // The token is never in the URL, a cookie or local storage; a refused one is not kept.
  assert.ok(!page.url().includes('not-a-token'));
  assert.deepEqual(await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length]), ['', 0, 0]);
  await finish(page);

  const again = await signedIn();
  assert.deepEqual(await again.evaluate(() => [document.cookie, localStorage.length, Object.keys(sessionStorage)]),
    ['', 0, ['gluster-tasks.token']]);
  const table = again.getByRole('table', { name: 'Volumes of cluster demo' });
  for (const name of ['dist', 'distrep', 'single', 'archive']) {
    await table.getByRole('link', { name, exact: true }).waitFor();
  }
  const row = table.getByRole('row').filter({ hasText: 'distrep' });
  assert.match(await row.innerText(), /distributed-replicate\s+started\s+6\s+idle/);
  await screenshot(again, 'volumes');
  assert.deepEqual(await accessibilityProblems(again), [], 'Volumes');
  await finish(again);
});

test('Start Rebalance, then its status dialog refreshes itself to "(Rebalance Completed)"', async () => {
  await idle('dist');
  const page = await signedIn();
  await openVolume(page, 'dist');
  await page.getByRole('button', { name: 'Start Rebalance' }).click();
  const start = dialog(page, 'Start Rebalance: dist');
  assert.equal(await start.getByRole('checkbox', { name: 'Fix layout only' }).isChecked(), false);
  assert.equal(await start.getByRole('checkbox', { name: 'Force' }).isChecked(), false);
  await start.getByRole('button', { name: 'Start', exact: true }).click();
  await start.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Rebalance Status' }).click();
  const status = dialog(page, 'Rebalance Status: dist');
  const nodes = status.getByRole('table', { name: 'Status per node' });
  await eventually('a row per node', async () => (await nodes.getByRole('row').count()) === 4);
  const first = await status.innerText();
  assert.match(first, /Status at /);
  assert.doesNotMatch(first, /\(Rebalance Completed\)/, 'the task had not finished when the dialog opened');
  await screenshot(page, 'rebalance-status-running');
  assert.deepEqual(await accessibilityProblems(page), [], 'Rebalance Status');
  // No reload, no click: the open dialog follows the task.
  await eventually('(Rebalance Completed)', () => says(status, '(Rebalance Completed)'));
  const done = await status.innerText();
  assert.match(done, /completed/);
  assert.ok(await status.getByRole('button', { name: 'Stop Rebalance' }).isDisabled());
  await screenshot(page, 'rebalance-status-completed');
  await status.getByRole('button', { name: 'Close' }).click();
  await finish(page);
});

test('Stop Rebalance asks first, then shows the final status', async () => {
  await idle('distrep');
  const page = await signedIn();
  await openVolume(page, 'distrep');
  await page.getByRole('button', { name: 'Start Rebalance' }).click();
  await dialog(page, 'Start Rebalance: distrep').getByRole('button', { name: 'Start', exact: true }).click();
  // The Volumes screen shows it running: icon, words and progress.
  await page.getByRole('link', { name: 'Volumes', exact: true }).click();
  const row = page.getByRole('row').filter({ hasText: 'distrep' });
  await eventually('distrep rebalancing', async () => /rebalancing/.test(await row.innerText()));
  await row.getByRole('progressbar', { name: 'rebalancing distrep' }).waitFor();
  await screenshot(page, 'volumes-rebalancing');
  await row.getByRole('link', { name: 'distrep' }).click();
  const stop = page.getByRole('button', { name: 'Stop Rebalance' });
  await eventually('Stop Rebalance enabled', () => stop.isEnabled());
  await stop.click();
  const ask = dialog(page, 'Stop Rebalance');
  await ask.waitFor();
  await screenshot(page, 'stop-rebalance-confirmation');
  // Cancel stops nothing.
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'detached' });
  await eventually('Stop Rebalance enabled again', () => stop.isEnabled());
  assert.equal((await api('GET', `/volumes/${(await volumeByName('distrep')).id}/rebalance`)).body.job_status, 'running', 'Cancel stopped nothing');
  await stop.click();
  await ask.getByRole('button', { name: 'Stop Rebalance' }).click();
  const status = dialog(page, 'Rebalance Status: distrep');
  await eventually('(Rebalance Stopped)', () => says(status, '(Rebalance Stopped)'));
  await screenshot(page, 'rebalance-stopped');
  await status.getByRole('button', { name: 'Close' }).click();
  const job = (await api('GET', '/jobs?volume_id=' + (await volumeByName('distrep')).id + '&limit=1')).body.items[0];
  assert.equal(job.status, 'stopped');
  assert.equal(job.initiator, 'demo');
  await finish(page);
});

test('a refusal shows the problem\'s title and detail', async () => {
  const page = await signedIn();
  await openVolume(page, 'single');
  await page.getByRole('button', { name: 'Start Rebalance' }).click();
  const start = dialog(page, 'Start Rebalance: single');
  await start.getByRole('button', { name: 'Start', exact: true }).click();
  const alert = start.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /^The volume cannot run this task: Volume single is not a distribute volume or contains only 1 brick/);
  await screenshot(page, 'refusal');
  await page.keyboard.press('Escape');
  await start.waitFor({ state: 'detached' });
  await finish(page);
});

async function selectBricks(page, names) {
  for (const n of names) await page.getByRole('checkbox', { name: `Select brick ${n}` }).check();
}

async function brickNames(volume) {
  return (await volumeByName(volume)).bricks.map((b) => b.name);
}

test('Remove with migration: Commit is disabled, then enabled, then the brick is gone', async () => {
  await idle('dist');
  const page = await signedIn();
  await openVolume(page, 'dist');
  const brick = (await brickNames('dist')).at(-1);
  assert.ok(await page.getByRole('button', { name: 'Remove', exact: true }).isDisabled(), 'nothing selected yet');
  await selectBricks(page, [brick]);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  const ask = dialog(page, 'Remove Bricks: dist');
  assert.equal(await ask.getByRole('checkbox', { name: 'Migrate data' }).isChecked(), true);
  assert.equal(await ask.getByRole('checkbox', { name: 'Auto commit' }).isChecked(), false);
  await screenshot(page, 'remove-dialog');
  assert.deepEqual(await accessibilityProblems(page), [], 'Remove Bricks');
  await ask.getByRole('button', { name: 'Remove', exact: true }).click();
  const status = dialog(page, 'Remove Bricks Status: dist');
  const commit = status.getByRole('button', { name: 'Commit' });
  await status.getByText('Status at').waitFor();
  assert.ok(await commit.isDisabled(), 'Commit must wait for the migration');
  assert.match(await status.innerText(), /Commit is not possible yet/);
  await screenshot(page, 'removal-status-migrating');
  assert.deepEqual(await accessibilityProblems(page), [], 'Remove Bricks Status');
  await eventually('Commit enabled', () => commit.isEnabled());
  assert.match(await status.innerText(), /\(Migration Completed: commit to finish\)/);
  await screenshot(page, 'removal-status-commit-allowed');
  await commit.click();
  await dialog(page, 'Commit').getByRole('button', { name: 'Commit' }).click();
  await eventually('(Migration Completed)', () => says(status, '(Migration Completed)'));
  await status.getByRole('button', { name: 'Close' }).click();
  await eventually(`brick ${brick} gone`, async () => (await page.getByRole('checkbox', { name: `Select brick ${brick}` }).count()) === 0);
  assert.ok(!(await brickNames('dist')).includes(brick));
  await screenshot(page, 'brick-removed');
  await finish(page);
});

test('Auto commit: the removal commits by itself', async () => {
  await idle('dist');
  const page = await signedIn();
  await openVolume(page, 'dist');
  const brick = (await brickNames('dist')).at(-1);
  await selectBricks(page, [brick]);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  const ask = dialog(page, 'Remove Bricks: dist');
  await ask.getByRole('checkbox', { name: 'Auto commit' }).check();
  await ask.getByRole('button', { name: 'Remove', exact: true }).click();
  const status = dialog(page, 'Remove Bricks Status: dist');
  await eventually('(Migration Completed)', () => says(status, '(Migration Completed)'));
  assert.ok(await status.getByRole('button', { name: 'Commit' }).isDisabled(), 'nothing left to commit');
  await screenshot(page, 'auto-committed');
  await status.getByRole('button', { name: 'Close' }).click();
  await eventually(`brick ${brick} gone`, async () => (await page.getByRole('checkbox', { name: `Select brick ${brick}` }).count()) === 0);
  const job = (await api('GET', `/jobs?volume_id=${(await volumeByName('dist')).id}&kind=remove_brick&limit=1`)).body.items[0];
  assert.equal(job.status, 'succeeded');
  assert.equal(job.params.auto_commit, true);
  await finish(page);
});

test('Stop Remove asks first; the bricks stay', async () => {
  await idle('dist');
  const page = await signedIn();
  await openVolume(page, 'dist');
  const before = await brickNames('dist');
  await selectBricks(page, [before.at(-1)]);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  await dialog(page, 'Remove Bricks: dist').getByRole('button', { name: 'Remove', exact: true }).click();
  const status = dialog(page, 'Remove Bricks Status: dist');
  const stop = status.getByRole('button', { name: 'Stop Remove' });
  await eventually('Stop Remove enabled', () => stop.isEnabled());
  await stop.click();
  await dialog(page, 'Stop Remove').getByRole('button', { name: 'Stop Remove' }).click();
  await eventually('(Migration Stopped)', () => says(status, '(Migration Stopped)'));
  assert.ok(await status.getByRole('button', { name: 'Commit' }).isDisabled());
  await screenshot(page, 'removal-stopped');
  await status.getByRole('button', { name: 'Close' }).click();
  assert.deepEqual(await brickNames('dist'), before);
  await finish(page);
});

test('a removal without migration is refused until the volume name is typed', async () => {
  await idle('distrep');
  const page = await signedIn();
  await openVolume(page, 'distrep');
  const bricks = await brickNames('distrep');
  // One brick of a replica set: the dialog explains gluster's rule.
  await selectBricks(page, [bricks[3]]);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  let ask = dialog(page, 'Remove Bricks: distrep');
  assert.match(await ask.getByRole('note').innerText(), /Gluster removes whole replica sets/);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  // The whole second set, without migration.
  await selectBricks(page, bricks.slice(3, 6));
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  ask = dialog(page, 'Remove Bricks: distrep');
  assert.equal(await ask.getByRole('note').count(), 0, 'a whole set needs no explanation');
  await ask.getByRole('checkbox', { name: 'Migrate data' }).uncheck();
  assert.match(await ask.getByRole('alert').innerText(), /Data loss/);
  assert.ok(await ask.getByRole('checkbox', { name: 'Auto commit' }).isDisabled());
  const go = ask.getByRole('button', { name: 'Remove without migration' });
  assert.ok(await go.isDisabled(), 'refused before the confirmation');
  const confirmBox = ask.getByRole('textbox', { name: 'Type the volume name (distrep) to confirm' });
  await confirmBox.fill('dist');
  assert.ok(await go.isDisabled(), 'refused with the wrong name');
  await screenshot(page, 'forced-removal-warning');
  assert.deepEqual(await accessibilityProblems(page), [], 'forced removal');
  await confirmBox.fill('distrep');
  assert.ok(await go.isEnabled());
  await go.click();
  await ask.waitFor({ state: 'detached' });
  await eventually('the set gone', async () => (await page.getByRole('checkbox', { name: /^Select brick / }).count()) === 3);
  const job = (await api('GET', `/jobs?volume_id=${(await volumeByName('distrep')).id}&kind=remove_brick&limit=1`)).body.items[0];
  assert.equal(job.params.migrate_data, false);
  assert.equal(job.status, 'succeeded');
  await screenshot(page, 'forced-removal-done');
  await finish(page);
});

test('gluster\'s own message is shown when gluster refuses', { skip: SIM_SKIP }, async () => {
  await idle('dist');
  const brick = (await brickNames('dist')).at(-1);
  // The brick's process is down: gluster refuses to migrate off it.
  editSim((s) => { s.volumes.find((v) => v.name === 'dist').bricks_down = [brick]; });
  try {
    const page = await signedIn();
    await openVolume(page, 'dist');
    await selectBricks(page, [brick]);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const ask = dialog(page, 'Remove Bricks: dist');
    await ask.getByRole('button', { name: 'Remove', exact: true }).click();
    const alert = ask.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), new RegExp(`gluster: .*Found dead brick ${brick}`, 's'));
    await screenshot(page, 'gluster-refusal');
    assert.ok(await ask.getByRole('button', { name: 'Remove', exact: true }).isEnabled(), 'the admin may try again');
    await finish(page);
  } finally {
    editSim((s) => { s.volumes.find((v) => v.name === 'dist').bricks_down = []; });
  }
});

test('Tasks: a task started through the API appears without a reload, with its timeline', async () => {
  await idle('dist');
  const page = await signedIn();
  await page.getByRole('link', { name: 'Tasks' }).click();
  const table = page.getByRole('table', { name: 'Tasks' });
  await table.getByRole('row').nth(1).waitFor();
  const before = await table.getByRole('row').count();
  await page.evaluate(() => { window.notReloaded = true; });
  const started = await api('POST', `/volumes/${(await volumeByName('dist')).id}/rebalance`, {});
  assert.equal(started.status, 202);
  await eventually('a new row', async () => (await table.getByRole('row').count()) === before + 1);
  const row = table.getByRole('row').nth(1);
  assert.match(await row.innerText(), /Rebalance\s+dist.*(pending|running).*REST API\s+demo/s);
  // Its details, opened while it runs: the timeline grows as it goes.
  await row.getByRole('button', { name: 'Details: Rebalance of dist' }).click();
  const timeline = page.getByRole('list', { name: `Timeline of job ${started.body.id}` });
  await eventually('the timeline so far', async () => /created by demo/.test(await timeline.innerText()));
  assert.doesNotMatch(await timeline.innerText(), /succeeded/, 'opened before the end');
  await eventually('it succeeds, live', async () => /succeeded/.test(await row.innerText()));
  await eventually('the timeline, live', async () => /created by demo[\s\S]*running → succeeded/.test(await timeline.innerText()));
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  // Filters: only the gluster CLI's tasks (none in the demo).
  await screenshot(page, 'tasks');
  assert.deepEqual(await accessibilityProblems(page), [], 'Tasks');
  await page.getByLabel('Origin').selectOption('cli');
  await eventually('filtered', async () => /No task matches/.test(await table.innerText()));
  await page.getByLabel('Origin').selectOption('api');
  await eventually('unfiltered', async () => (await table.getByRole('row').count()) >= before + 1);
  await finish(page);
});

test('a task started with the gluster CLI appears in Tasks as such', { skip: SIM_SKIP }, async () => {
  await idle('dist');
  const page = await signedIn();
  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByLabel('Origin').selectOption('cli');
  const table = page.getByRole('table', { name: 'Tasks' });
  await eventually('no CLI task yet', async () => /No task matches/.test(await table.innerText()));
  glusterCli(['volume', 'rebalance', 'dist', 'start', '--xml']);
  const row = table.getByRole('row').nth(1);
  await eventually('the CLI task adopted', async () => /Rebalance\s+dist.*gluster CLI\s+gluster CLI/s.test(await row.innerText()));
  await screenshot(page, 'tasks-cli');
  await idle('dist');
  await finish(page);
});

test('a viewer sees everything and every control that changes things disabled, saying why', async () => {
  const page = await signedIn(VIEWER_TOKEN);
  assert.match(await page.getByText(/demo-viewer \(viewer\)/).innerText(), /viewer/);
  await openVolume(page, 'dist');
  for (const name of ['Start Rebalance', 'Stop Rebalance']) {
    const b = page.getByRole('button', { name, exact: true });
    assert.ok(await b.isDisabled(), `${name} disabled`);
    assert.match(await b.getAttribute('title'), /viewer token/);
  }
  await selectBricks(page, [(await brickNames('dist')).at(-1)]);
  assert.ok(await page.getByRole('button', { name: 'Remove', exact: true }).isDisabled());
  await page.getByRole('button', { name: 'Rebalance Status' }).click();
  const status = dialog(page, 'Rebalance Status: dist');
  await status.getByText('Status at').waitFor();
  assert.ok(await status.getByRole('button', { name: 'Stop Rebalance' }).isDisabled());
  await screenshot(page, 'viewer');
  assert.deepEqual(await accessibilityProblems(page), [], 'viewer');
  await status.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByRole('table', { name: 'Tasks' }).getByRole('row').nth(1).waitFor();
  await finish(page);
});

test('keyboard only, and a narrow screen', async () => {
  const page = await signedIn(undefined, { width: 390, height: 844 });
  await screenshot(page, 'narrow-volumes');
  await page.getByRole('button', { name: 'Sign out' }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Token').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'token', 'the Token field has the focus');
  await page.keyboard.type(process.env.TOKEN);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Volumes' }).waitFor();
  await openVolume(page, 'dist');
  // Tab from the top of the page to Start Rebalance, as a keyboard user does.
  await page.getByRole('link', { name: '← Volumes' }).focus();
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement.textContent)) !== 'Start Rebalance'; i += 1) {
    await page.keyboard.press('Tab');
  }
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Start Rebalance', 'reachable with Tab');
  await page.keyboard.press('Enter');
  const start = dialog(page, 'Start Rebalance: dist');
  await start.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Start', 'focus moves into the dialog');
  await page.keyboard.press('Escape');
  await start.waitFor({ state: 'detached' });
  await screenshot(page, 'narrow-volume');
  assert.deepEqual(await accessibilityProblems(page), [], 'narrow volume view');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page fits the screen (${width}px wide)`);
  await finish(page);
  // The page carries its policy; what is not a console file is a 404.
  const res = await fetch(`${BASE}/ui/`);
  assert.equal(res.headers.get('content-security-policy'),
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  assert.equal((await fetch(`${BASE}/ui/nothing.js`)).status, 404);
});
