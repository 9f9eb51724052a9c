// Shared by the end-to-end steps: settings from the environment, failures, waits, screenshots, API calls.
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

/** Every timeout bounds a broken page; it scales with the machine's load by the rule of tests/support/waits.py:
 * CS_TEST_TIME_SCALE when set (the pytest test passes its own), else the 1-minute load average per core in [1, 10]. */
function timeScale() {
  const override = (process.env.CS_TEST_TIME_SCALE || '').trim();
  if (override) {
    const value = Number(override);
    if (!(value > 0)) throw new Error(`CS_TEST_TIME_SCALE must be a positive number, got "${override}"`);
    return value;
  }
  return Math.min(10, Math.max(1, loadavg()[0] / Math.max(1, cpus().length)));
}
export const TIME_SCALE = timeScale();
/** A timeout of `base` milliseconds on an idle machine, scaled. */
export const ms = (base) => Math.round(base * TIME_SCALE);

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '');
export const ARTIFACTS_DIR = path.resolve(process.env.ARTIFACTS_DIR || 'test-results');
/** How long data may take to go from POST /v1/events to the dashboard. */
export const PIPELINE_TIMEOUT_MS = Number(process.env.E2E_PIPELINE_TIMEOUT_MS) || ms(60_000);

export class Failure extends Error {}

export function fail(message) {
  throw new Failure(message);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

export function passed(message) {
  console.log(`PASS  ${message}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value; on timeout, fails with `describe()`'s last words. */
export async function waitFor(probe, { timeoutMs, intervalMs = 1_000, describe }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) fail(await describe());
    await sleep(intervalMs);
  }
}

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`      screenshot ${file}`);
}

export async function apiCall(method, urlPath, key, body) {
  const response = await fetch(`${BASE_URL}${urlPath}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Reported by the caller with the raw text.
  }
  return { status: response.status, json, text };
}

export const ADMIN_KEY = process.env.CS_ADMIN_KEY || '';
export const INGEST_KEY = process.env.CS_INGEST_KEY || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** One walk in a fresh headless Chromium profile: checks the keys (exit 2 without them), bounds the whole run
 * (a watchdog at ``wholeRunMs``, scaled), runs ``steps({ context, page })``, and prints PASS or FAIL with a
 * screenshot of the page it failed on. ``permissions`` are granted on BASE_URL (e.g. the clipboard). */
export async function runWalk(name, steps, { wholeRunMs = 240_000, permissions = [], run = '' } = {}) {
  const missing = ['CS_ADMIN_KEY', 'CS_INGEST_KEY'].filter((key) => !process.env[key]);
  if (missing.length > 0) {
    console.error(`FAIL  set ${missing.join(' and ')} (and BASE_URL, default ${BASE_URL})`);
    process.exit(2);
  }
  const limitMs = Math.round(wholeRunMs * TIME_SCALE);
  const watchdog = setTimeout(() => {
    console.error(`FAIL  the ${name} e2e run took more than ${limitMs / 1000} s`);
    process.exit(1);
  }, limitMs);
  watchdog.unref();
  const { mkdir, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { chromium } = await import('playwright-core');
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const userDataDir = await mkdtemp(path.join(tmpdir(), `cs-${name}-e2e-`));
  console.log(`${name} e2e against ${BASE_URL}, run ${run}, artifacts in ${ARTIFACTS_DIR}, time scale ${TIME_SCALE}`);
  let context;
  let page;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: Math.round(180_000 * TIME_SCALE),
      viewport: { width: 1440, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    if (permissions.length > 0) await context.grantPermissions(permissions, { origin: BASE_URL }).catch(() => {});
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(Math.round(15_000 * TIME_SCALE));
    page.on('pageerror', (error) => console.error(`      page error: ${error.message}`));
    await steps({ context, page });
    console.log(`PASS  ${name} e2e: all steps passed`);
  } catch (error) {
    console.error(`FAIL  ${error instanceof Failure ? error.message : error?.stack || error}`);
    if (page) {
      const shot = path.join(ARTIFACTS_DIR, 'failure.png');
      await page.screenshot({ path: shot, fullPage: true })
        .then(() => console.error(`      screenshot ${shot} (page ${page.url()})`))
        .catch(() => {});
    }
    process.exitCode = 1;
  } finally {
    await context?.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
    clearTimeout(watchdog);
  }
}
