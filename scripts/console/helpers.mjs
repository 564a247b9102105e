// What the console tests share: the browser, sign-in, waiting, screenshots and the API.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const BASE = process.env.CONSOLE_BASE || 'http://127.0.0.1:8080';
export const TOKEN = process.env.TOKEN;
export const VIEWER_TOKEN = process.env.VIEWER_TOKEN;
export const SHOTS = process.env.CONSOLE_SHOTS || 'target/console-screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

if (!TOKEN || !VIEWER_TOKEN) throw new Error('TOKEN and VIEWER_TOKEN must be set (the demo prints both)');
mkdirSync(SHOTS, { recursive: true });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` is true (polling, like a person watching): fails naming `what`. */
export async function eventually(what, check, timeoutMs = 45000) {
  const end = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

let browser = null;
export async function launch() {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  return browser;
}
export const close = () => browser && browser.close();

/** A fresh browser context (its own session storage) on the console, signed in with `token`. */
export async function signedIn(token = TOKEN, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Script errors and unhandled rejections fail the test; the browser's own line for an HTTP
  // error answer (a refusal the test provokes) does not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`);
  });
  page.problems = problems;
  await page.goto(`${BASE}/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Volumes' }).waitFor();
  return page;
}

/** Ends a test's page: no script error may have happened in it. */
export async function finish(page) {
  const problems = page.problems;
  await page.context().close();
  if (problems.length) throw new Error(`the page had errors:\n${problems.join('\n')}`);
}

let shot = 0;
/** Saves a screenshot of the page as `NN-name.png` under SHOTS. */
export async function screenshot(page, name) {
  shot += 1;
  const path = join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** The REST API, as a script behind the console's back would call it. */
export async function api(method, path, body) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function volumeByName(name) {
  const { body } = await api('GET', '/volumes?limit=500');
  return body.items.find((v) => v.name === name);
}

/** Waits until no task is active on volume `name` (so each flow starts from rest). */
export async function idle(name) {
  await eventually(`volume ${name} idle`, async () => !(await volumeByName(name)).activity, 60000);
}

/** Opens the volume view of `name` from the Volumes screen, as a person would. */
export async function openVolume(page, name) {
  await page.getByRole('link', { name: 'Volumes', exact: true }).click();
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: `Volume ${name}` }).waitFor();
}

/** Changes the demo's simulated cluster (its state file, CONSOLE_SIM_STATE) under the
 * simulator's own lock, as the Rust tests do: `edit(state)` changes the parsed JSON. */
export function editSim(edit) {
  const path = process.env.CONSOLE_SIM_STATE;
  if (!path) throw new Error('CONSOLE_SIM_STATE is not set (scripts/console-check sets it)');
  const state = JSON.parse(execFileSync('python3', ['-c', LOCKED_READ, path], { encoding: 'utf8' }));
  edit(state);
  execFileSync('python3', ['-c', LOCKED_WRITE, path], { input: JSON.stringify(state) });
}

const LOCKED_READ = `import fcntl, sys
p = sys.argv[1]
with open(p[:-len('.json')] + '.lock', 'a') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    sys.stdout.write(open(p).read())`;
const LOCKED_WRITE = `import fcntl, sys
p = sys.argv[1]
data = sys.stdin.read()
with open(p[:-len('.json')] + '.lock', 'a') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    open(p, 'w').write(data)`;

/** Runs the demo's gluster (the simulator, as node 1) with `args`, as an admin at a shell
 * would run `gluster …` behind the service's back. */
export function glusterCli(args) {
  const exe = process.env.CONSOLE_GLUSTER_SIM;
  if (!exe) throw new Error('CONSOLE_GLUSTER_SIM is not set (scripts/console-check sets it)');
  return execFileSync(exe, ['gluster-sim', '--state', process.env.CONSOLE_SIM_STATE,
    '--task-secs', process.env.CONSOLE_TASK_SECS || '8', '--node', '1', ...args], { encoding: 'utf8' });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (WCAG 2.1 A and AA rules) on what the page shows now; returns the serious
 * and critical violations as readable lines (an empty list passes). Evaluated through the
 * DevTools protocol, so the console's policy of no inline script is kept. */
export async function accessibilityProblems(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}
