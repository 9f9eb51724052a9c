#!/usr/bin/env node
// End-to-end check of the built dashboard against a running CustomerSignal API (which serves
// dashboard/dist). It signs in, creates an alert rule, sends 30 fresh events, and follows them through
// the Overview (the live chart: the filling minute, tooltip, log scale, toggles), the firing alert
// (badge, banner, its page), the catalog's times, the events explorer and an event's detail, then
// creates and revokes an API key.
//
//   BASE_URL=http://127.0.0.1:8000 CS_ADMIN_KEY=cs_... CS_INGEST_KEY=cs_... \
//   ARTIFACTS_DIR=test-results npm run e2e
//
// CS_ADMIN_KEY needs read+admin, CS_INGEST_KEY ingest, both in the same tenant. CHROMIUM overrides
// the browser binary (default /usr/bin/chromium); E2E_PIPELINE_TIMEOUT_MS how long sent events may
// take to show up (default 60000). Exit code 0 = all steps passed; 1 = a step failed; 2 = bad setup.
// Every timeout scales with the machine's load (support.mjs, TIME_SCALE).
import { randomUUID } from 'node:crypto';

import path from 'node:path';

import { apiCall, BASE_URL, check, fail, passed, ms, PIPELINE_TIMEOUT_MS, screenshot, waitFor, ADMIN_KEY, INGEST_KEY, runWalk } from './support.mjs';
import { checkAlertTruth, checkCatalogTimes, checkLiveChart, createAlertRule } from './truth.mjs';

const RUN = randomUUID().slice(0, 8);
const EVENT_TYPE = `e2e_${RUN}`;
const USER_A = `e2e-user-${RUN}`;
const USER_B = `e2e-user-${RUN}-other`;
const KEY_NAME = `e2e-${RUN}`;
const EVENTS_FOR_A = 25;
const EVENTS_FOR_B = 5;
const PAGE_SIZE = 10;

// ---------------------------------------------------------------------------------------------

async function signIn(page) {
  await page.goto(`${BASE_URL}/`);
  await page.waitForURL((url) => url.pathname === '/sign-in', { timeout: ms(15_000) }).catch(() =>
    fail(`without a key, / should redirect to /sign-in; it is at ${page.url()}`),
  );
  passed('a visitor without a key is sent to /sign-in');

  await page.getByTestId('signin-key').fill(ADMIN_KEY);
  await page.getByTestId('signin-submit').click();
  const tenant = page.getByTestId('session-tenant');
  await tenant.waitFor({ timeout: ms(15_000) }).catch(async () => {
    const error = await page.getByTestId('state-error').first().innerText({ timeout: ms(1_000) }).catch(() => null);
    fail(`sign-in with CS_ADMIN_KEY did not reach the app${error ? `: ${error}` : ''}`);
  });
  const url = new URL(page.url());
  check(url.pathname === '/', `after sign-in the app should be at /, it is at ${url.pathname}`);
  check(!page.url().includes(ADMIN_KEY), 'the key must never appear in the URL');
  const storage = await page.evaluate(() => ({
    local: Object.keys(localStorage).length,
    session: Object.values(sessionStorage),
  }));
  check(storage.local === 0, 'nothing may be written to localStorage');
  check(storage.session.includes(ADMIN_KEY), 'the key should be kept in sessionStorage');
  const prefix = await page.getByTestId('session-key-prefix').textContent();
  passed(`signed in as tenant "${await tenant.textContent()}" with key ${prefix?.trim()}`);
}

async function sendEvents() {
  const now = Date.now();
  const events = Array.from({ length: EVENTS_FOR_A + EVENTS_FOR_B }, (_, i) => ({
    event_id: randomUUID(),
    event_type: EVENT_TYPE,
    user_id: i < EVENTS_FOR_A ? USER_A : USER_B,
    // One second apart, oldest first, so "newest first" has a single right order.
    timestamp: new Date(now - (EVENTS_FOR_A + EVENTS_FOR_B - i) * 1_000).toISOString(),
    properties: { e2e_index: i, plan: i % 2 === 0 ? 'pro' : 'free' },
    context: { e2e_run: RUN },
  }));
  const { status, json, text } = await apiCall('POST', '/v1/events', INGEST_KEY, { events });
  check(status === 200, `POST /v1/events answered ${status}: ${text.slice(0, 500)}`);
  check(json && json.accepted === events.length, `POST /v1/events accepted ${json?.accepted} of ${events.length}: ${text.slice(0, 500)}`);
  passed(`sent ${events.length} events of type ${EVENT_TYPE} (${EVENTS_FOR_A} for ${USER_A}, ${EVENTS_FOR_B} for ${USER_B})`);
  return events;
}

async function checkOverview(page) {
  // top=20: the most types the overview lists, so that a busy tenant still shows the new one.
  await page.goto(`${BASE_URL}/?top=20`);
  const row = page.locator(`[data-testid="top-type-row"][data-event-type="${EVENT_TYPE}"]`);
  await waitFor(
    async () => {
      if ((await row.count()) === 0) return false;
      const count = (await row.getByTestId('top-type-count').textContent())?.replace(/,/g, '').trim();
      return count === String(EVENTS_FOR_A + EVENTS_FOR_B);
    },
    {
      timeoutMs: PIPELINE_TIMEOUT_MS,
      describe: async () => {
        const shown = await page.locator('[data-testid="top-type-row"]').evaluateAll((rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ').trim()));
        const freshness = await page.getByTestId('freshness').innerText({ timeout: ms(1_000) }).catch(() => '?');
        const error = await page.getByTestId('state-error').first().innerText({ timeout: ms(1_000) }).catch(() => '');
        return `Overview did not show ${EVENTS_FOR_A + EVENTS_FOR_B} events of ${EVENT_TYPE} within ${PIPELINE_TIMEOUT_MS / 1000} s. Top types shown: ${JSON.stringify(shown)}; freshness: ${freshness}; ${error}`;
      },
    },
  );
  const total = Number((await page.getByTestId('overview-total').textContent())?.replace(/,/g, ''));
  check(total >= EVENTS_FOR_A + EVENTS_FOR_B, `overview-total is ${total}, expected at least ${EVENTS_FOR_A + EVENTS_FOR_B}`);
  passed(`Overview lists ${EVENT_TYPE} with ${EVENTS_FOR_A + EVENTS_FOR_B} events (total ${total})`);
  // both users sent events in the last 24 h; far below 320, so the sketch union is exact
  const uniques = Number((await page.getByTestId('overview-unique-users').textContent())?.replace(/[^0-9]/g, ''));
  check(uniques >= 2, `overview-unique-users is ${uniques}, expected at least 2 (${USER_A} and ${USER_B})`);
  passed(`Overview shows ${uniques} unique users in the last 24 h`);

  const chart = page.locator('[data-testid="overview-chart"][data-state="drawn"]');
  await chart.waitFor({ timeout: ms(20_000) }).catch(() => fail('the Overview chart was not drawn (no data-state="drawn")'));
  check((await chart.locator('canvas').count()) > 0, 'the Overview chart has no canvas');
  const series = Number(await chart.getAttribute('data-series'));
  check(series >= 1, `the Overview chart draws ${series} series`);
  // every type of the table is on the chart's legend (shown, or hidden a click away)
  const legendItem = page.locator(`[data-testid="legend-item"][data-label="${EVENT_TYPE}"]`);
  await legendItem.waitFor({ timeout: ms(15_000) }).catch(() => fail(`the chart legend does not list ${EVENT_TYPE}`));
  passed(`Overview chart drawn: ${series} series, ${await chart.getAttribute('data-points')} points, ${EVENT_TYPE} among them`);

  const freshness = (await page.getByTestId('freshness-text').textContent()) ?? '';
  check(/complete up to|no complete data yet/.test(freshness) && /lag/.test(freshness), `unexpected freshness text: "${freshness}"`);
  passed(`freshness shown: "${freshness}"`);
  await screenshot(page, 'overview.png');
}

/** Reads the current explorer page once it is no longer loading. */
async function readEventsPage(page) {
  await page.locator('[data-testid="events-table"][data-loading="false"]').waitFor({ timeout: ms(15_000) });
  return page.locator('[data-testid="events-row"]').evaluateAll((rows) =>
    rows.map((r) => ({ id: r.getAttribute('data-event-id'), user: r.querySelector('[data-testid="events-row-user"]')?.textContent?.trim() })),
  );
}

async function pageNumber(page) {
  return (await page.getByTestId('pager-page').textContent())?.trim();
}

async function clickAndWaitPage(page, testId, expectedPage) {
  await page.getByTestId(testId).click();
  await waitFor(async () => (await pageNumber(page)) === `Page ${expectedPage}`, {
    timeoutMs: ms(15_000),
    intervalMs: 200,
    describe: async () => `after ${testId} the pager shows "${await pageNumber(page)}", expected "Page ${expectedPage}"`,
  });
  return readEventsPage(page);
}

async function walkAllPages(page) {
  const pages = [await readEventsPage(page)];
  while (await page.getByTestId('events-next').isEnabled()) {
    pages.push(await clickAndWaitPage(page, 'events-next', pages.length + 1));
    check(pages.length <= 10, 'more than 10 pages for 25 events: paging does not end');
  }
  return pages;
}

async function checkEvents(page, sentIds) {
  await page.goto(`${BASE_URL}/events?limit=${PAGE_SIZE}`);
  await page.getByTestId('filter-user-id').fill(USER_A);
  await page.getByTestId('filter-apply').click();
  await page.waitForURL((url) => url.searchParams.get('user_id') === USER_A);
  check(new URL(page.url()).searchParams.get('limit') === String(PAGE_SIZE), 'the page size was lost from the URL');
  passed(`filtered the explorer by user_id=${USER_A} (in the URL, ${PAGE_SIZE} a page)`);

  let pages = [];
  await waitFor(
    async () => {
      pages = await walkAllPages(page);
      if (pages.flat().length >= EVENTS_FOR_A) return true;
      await page.reload();
      return false;
    },
    {
      timeoutMs: PIPELINE_TIMEOUT_MS,
      intervalMs: 2_000,
      describe: async () => `the explorer shows ${pages.flat().length} events for ${USER_A}, expected ${EVENTS_FOR_A}`,
    },
  );
  const rows = pages.flat();
  check(rows.length === EVENTS_FOR_A, `the explorer shows ${rows.length} events for ${USER_A} over ${pages.length} pages, expected ${EVENTS_FOR_A}`);
  check(rows.every((r) => r.user === USER_A), `rows of another user were listed: ${JSON.stringify(rows.filter((r) => r.user !== USER_A))}`);
  check(new Set(rows.map((r) => r.id)).size === rows.length, 'an event appears on two pages');
  const missing = sentIds.filter((id) => !rows.some((r) => r.id === id));
  check(missing.length === 0, `events sent but not listed: ${missing.join(', ')}`);
  check(pages.length === Math.ceil(EVENTS_FOR_A / PAGE_SIZE), `expected ${Math.ceil(EVENTS_FOR_A / PAGE_SIZE)} pages, got ${pages.length}`);
  const newestFirst = [...sentIds].reverse();
  check(rows.every((r, i) => r.id === newestFirst[i]), 'events are not listed newest first');
  passed(`Next page: ${EVENTS_FOR_A} events over ${pages.length} pages (${pages.map((p) => p.length).join(' + ')}), newest first`);

  for (let n = pages.length - 1; n >= 1; n--) {
    const back = await clickAndWaitPage(page, 'events-prev', n);
    check(JSON.stringify(back) === JSON.stringify(pages[n - 1]), `Previous page to page ${n} shows other events than before`);
  }
  check(await page.getByTestId('events-prev').isDisabled(), 'Previous page should be disabled on page 1');
  passed('Previous page: back to page 1 through the same pages');
  await screenshot(page, 'events.png');

  const first = page.locator('[data-testid="events-row"]').first();
  const eventId = await first.getAttribute('data-event-id');
  await first.click();
  await page.getByTestId('event-detail').waitFor({ timeout: ms(15_000) }).catch(async () => {
    const error = await page.getByTestId('state-error').first().innerText({ timeout: ms(1_000) }).catch(() => '');
    fail(`the event detail did not open for ${eventId} ${error}`);
  });
  const url = new URL(page.url());
  check(url.pathname === `/events/${eventId}` && url.searchParams.has('at'), `unexpected detail URL ${page.url()}`);
  check((await page.getByTestId('event-detail-id').textContent())?.trim() === eventId, 'the detail shows another event id');
  const properties = JSON.parse((await page.getByTestId('event-detail-properties').textContent()) ?? 'null');
  check(properties && typeof properties.e2e_index === 'number' && ['pro', 'free'].includes(properties.plan), `unexpected properties: ${JSON.stringify(properties)}`);
  const context = (await page.getByTestId('event-detail-context').textContent()) ?? '';
  check(context.includes(RUN), 'the detail does not show the event context');
  passed(`event detail ${eventId}: id, properties ${JSON.stringify(properties)} and context shown`);
  await screenshot(page, 'event-detail.png');
}

async function checkKeys(page) {
  await page.goto(`${BASE_URL}/settings`);
  await page.getByTestId('keys-table').waitFor({ timeout: ms(15_000) });
  await page.getByTestId('key-create-name').fill(KEY_NAME);
  const ingest = page.getByTestId('key-scope-ingest');
  if (!(await ingest.isChecked())) await ingest.check();
  await page.getByTestId('key-create-submit').click();
  const secretNode = page.getByTestId('key-secret');
  await secretNode.waitFor({ timeout: ms(15_000) }).catch(async () => {
    const error = await page.getByTestId('state-error').first().innerText({ timeout: ms(1_000) }).catch(() => '');
    fail(`no secret shown after creating key ${KEY_NAME} ${error}`);
  });
  const secret = ((await secretNode.textContent()) ?? '').trim();
  check(secret.startsWith('cs_') && secret.length > 12, `the secret shown does not look like a key: "${secret.slice(0, 6)}…"`);
  passed(`created key ${KEY_NAME}; its secret was shown once (${secret.slice(0, 6)}…)`);

  // The new key exists for the API: it is refused for lack of the read scope, not as unknown.
  const probe = await apiCall('GET', '/v1/session', secret);
  check(probe.status === 403 && probe.json?.error?.code === 'missing_scope', `the new ingest key should be known but lack read: got ${probe.status} ${probe.text.slice(0, 200)}`);
  passed('the new secret is a real key (ingest only: /v1/session answers 403 missing_scope)');

  const row = page.locator(`[data-testid="keys-row"][data-name="${KEY_NAME}"]`);
  await row.waitFor({ timeout: ms(15_000) });
  const prefix = ((await row.getByTestId('key-prefix').textContent()) ?? '').trim();
  check(prefix.length > 3 && secret.startsWith(prefix), `the listed prefix ${prefix} is not the start of the secret shown`);
  check(((await row.getByTestId('key-status').textContent()) ?? '').trim() === 'active', 'the new key is not listed as active');

  await row.getByTestId('key-revoke').click();
  await row.getByTestId('key-revoke-confirm').click();
  await waitFor(async () => ((await row.getByTestId('key-status').textContent()) ?? '').trim() === 'revoked', {
    timeoutMs: ms(15_000),
    intervalMs: 250,
    describe: async () => `after revoking, key ${KEY_NAME} shows "${await row.getByTestId('key-status').textContent()}"`,
  });
  passed(`revoked ${KEY_NAME} after the confirm step; its status shows revoked`);
  await screenshot(page, 'settings.png');

  await page.reload();
  await row.waitFor({ timeout: ms(15_000) });
  check(((await row.getByTestId('key-status').textContent()) ?? '').trim() === 'revoked', 'after a reload the key is not revoked');
  check((await page.getByTestId('key-secret').count()) === 0, 'the secret is shown again after a reload');
  passed('after a reload the key is still revoked and the secret is gone');
}

async function signOut(page) {
  await page.getByTestId('signout').click();
  await page.waitForURL((url) => url.pathname === '/sign-in', { timeout: ms(10_000) });
  const left = await page.evaluate(() => Object.keys(sessionStorage).length);
  check(left === 0, 'sessionStorage still holds something after sign-out');
  passed('signed out: back on /sign-in, key removed');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  await runWalk(
    'dashboard',
    async ({ page }) => {
      await signIn(page);
      const rule = await createAlertRule(ADMIN_KEY, EVENT_TYPE);
      const sent = await sendEvents();
      await checkOverview(page);
      await checkLiveChart(page, EVENT_TYPE);
      await checkAlertTruth(page, rule);
      await checkCatalogTimes(page, EVENT_TYPE, sent);
      await checkEvents(page, sent.filter((e) => e.user_id === USER_A).map((e) => e.event_id));
      await checkKeys(page);
      await signOut(page);
    },
    { wholeRunMs: 5 * 60_000, run: RUN },
  );
}

await main();
