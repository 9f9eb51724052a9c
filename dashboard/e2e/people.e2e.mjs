#!/usr/bin/env node
// End-to-end walk of issue 18's person timeline and live event feed in the built dashboard, against a
// running CustomerSignal API and pipeline: events are sent through POST /v1/events, a user is opened from
// the explorer, and the Events page follows new events live (on top, no row twice, paused under the pointer).
//
//   BASE_URL=http://127.0.0.1:8000 CS_ADMIN_KEY=cs_... CS_INGEST_KEY=cs_... ARTIFACTS_DIR=... node e2e/people.e2e.mjs
//
// Exit code 0 = all steps passed; 1 = a step failed; 2 = bad setup. Timeouts scale with load (support.mjs).
import { randomUUID } from 'node:crypto';

import path from 'node:path';

import { apiCall, BASE_URL, check, fail, ms, passed, PIPELINE_TIMEOUT_MS, screenshot, waitFor, ADMIN_KEY, INGEST_KEY, runWalk } from './support.mjs';

const RUN = randomUUID().slice(0, 8);
const USER = `person-${RUN}`;
const LIVE_USER = `live-${RUN}`;

async function send(events) {
  const { status, json, text } = await apiCall('POST', '/v1/events', INGEST_KEY, { events });
  check(status === 200 && json?.accepted === events.length, `POST /v1/events answered ${status}: ${text.slice(0, 300)}`);
}

function event(type, userId, secondsAgo, extra = {}) {
  return { event_id: randomUUID(), event_type: type, user_id: userId, timestamp: new Date(Date.now() - secondsAgo * 1_000).toISOString(), properties: { run: RUN }, ...extra };
}

async function signIn(page) {
  await page.goto(`${BASE_URL}/sign-in`);
  await page.getByTestId('signin-key').fill(ADMIN_KEY);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('session-tenant').waitFor({ timeout: ms(15_000) });
  passed('signed in');
}

const rowIds = (page) => page.locator('[data-testid="events-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id')));

async function openUserFromExplorer(page) {
  // oldest first, a second apart: the timeline has one right order
  const sent = [event('page', USER, 6), event('page', USER, 5), event('signup', USER, 4), event('checkout', USER, 3), event('page', USER, 2)];
  await send(sent);
  passed(`sent ${sent.length} events for ${USER}`);
  await page.goto(`${BASE_URL}/events?${new URLSearchParams({ user_id: USER })}`);
  await waitFor(
    async () => {
      await page.locator('[data-testid="events-table"][data-loading="false"]').waitFor({ timeout: ms(15_000) }).catch(() => {});
      if ((await rowIds(page)).length === sent.length) return true;
      await page.getByTestId('events-refresh').click();
      return false;
    },
    { timeoutMs: PIPELINE_TIMEOUT_MS, intervalMs: 2_000, describe: async () => `the explorer lists ${(await rowIds(page)).length} of ${sent.length} events for ${USER}` },
  );
  await page.getByTestId('events-row-user-link').first().click();
  await page.waitForURL((url) => url.pathname === '/people' && url.searchParams.get('user_id') === USER);
  await page.getByTestId('person-header').waitFor();
  check((await page.getByTestId('person-user-id').textContent())?.trim() === USER, 'the person page shows another user id');
  check((await page.getByTestId('person-event-count').textContent())?.trim() === String(sent.length), `the person page counts ${await page.getByTestId('person-event-count').textContent()} events, expected ${sent.length}`);
  const counts = await page.locator('[data-testid="person-count-row"]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-type')}:${r.querySelectorAll('td')[1]?.textContent}`));
  check(JSON.stringify(counts) === JSON.stringify(['page:3', 'checkout:1', 'signup:1']), `counts by type: ${JSON.stringify(counts)}`);
  await page.locator('[data-testid="events-table"][data-loading="false"]').waitFor();
  const timeline = await rowIds(page);
  const newestFirst = sent.map((e) => e.event_id).reverse();
  check(JSON.stringify(timeline) === JSON.stringify(newestFirst), `the timeline is not the sent events newest first: ${JSON.stringify(timeline)}`);
  passed(`opened ${USER} from the explorer: header, counts by type and a timeline of ${timeline.length} events newest first`);
  await screenshot(page, 'person.png');
}

async function followLive(page) {
  await page.goto(`${BASE_URL}/events?${new URLSearchParams({ user_id: LIVE_USER })}`);
  await page.getByTestId('events-follow').check();
  await page.mouse.move(0, 0); // off the list: the feed is not paused
  const sent = [];
  for (let i = 0; i < 3; i++) {
    const e = event('page', LIVE_USER, 0);
    await send([e]);
    sent.unshift(e.event_id);
    await waitFor(async () => JSON.stringify(await rowIds(page)) === JSON.stringify(sent), {
      timeoutMs: PIPELINE_TIMEOUT_MS,
      intervalMs: 250,
      describe: async () => `following live, the list shows ${JSON.stringify(await rowIds(page))}, expected ${JSON.stringify(sent)}`,
    });
  }
  passed(`following live: ${sent.length} events sent one by one each appeared on top, no row twice`);

  await page.getByTestId('events-list').hover();
  const held = event('click', LIVE_USER, 0);
  await send([held]);
  const marker = page.getByTestId('live-new-marker');
  await marker.waitFor({ timeout: PIPELINE_TIMEOUT_MS }).catch(() => fail('no "N new" marker while the pointer is on the list'));
  check((await marker.textContent())?.trim() === '1 new', `the marker says "${await marker.textContent()}"`);
  check(JSON.stringify(await rowIds(page)) === JSON.stringify(sent), 'the list moved while the pointer was on it');
  passed('paused under the pointer: the list held still and showed "1 new"');
  await screenshot(page, 'live-paused.png');

  await page.mouse.move(0, 0);
  sent.unshift(held.event_id);
  await waitFor(async () => JSON.stringify(await rowIds(page)) === JSON.stringify(sent), {
    timeoutMs: ms(10_000),
    intervalMs: 100,
    describe: async () => `after the pointer left, the list shows ${JSON.stringify(await rowIds(page))}, expected ${JSON.stringify(sent)}`,
  });
  passed('the pointer left: the held event went on top');
  await screenshot(page, 'live.png');
}

async function main() {
  await runWalk(
    'people',
    async ({ page }) => {
      await signIn(page);
      await openUserFromExplorer(page);
      await followLive(page);
    },
    {},
  );
}

await main();
