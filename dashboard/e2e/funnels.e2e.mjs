#!/usr/bin/env node
// End-to-end walk of the Funnels page against a running CustomerSignal API (which serves dashboard/dist):
// sends a small funnel's events through the real pipeline, builds the funnel in the page (steps, a filter,
// window, breakdown), checks the bars and the breakdown against the people sent, then opens the page's URL
// afresh (a shared link) and checks it runs the same funnel.
//
//   BASE_URL=http://127.0.0.1:8000 CS_ADMIN_KEY=cs_... CS_INGEST_KEY=cs_... ARTIFACTS_DIR=test-results \
//   node e2e/funnels.e2e.mjs
//
// Exit code 0 = all steps passed; 1 = a step failed. Every timeout scales with the machine's load (support.mjs).
import { randomUUID } from 'node:crypto';

import path from 'node:path';

import { apiCall, BASE_URL, check, fail, ms, passed, PIPELINE_TIMEOUT_MS, screenshot, waitFor, ADMIN_KEY, INGEST_KEY, runWalk } from './support.mjs';

const RUN = randomUUID().slice(0, 8);
const SIGNUP = `fx_signup_${RUN}`;
const CHECKOUT = `fx_checkout_${RUN}`;
const MINUTE = 60_000;

/** Four people sign up (three on pro); three of them check out after, and one checked out before only. */
async function sendFunnelEvents() {
  const now = Date.now();
  const event = (type, user, minutesAgo, properties = {}) => ({
    event_id: randomUUID(),
    event_type: type,
    user_id: `fx-${RUN}-${user}`,
    timestamp: new Date(now - minutesAgo * MINUTE).toISOString(),
    properties,
  });
  const events = [
    event(SIGNUP, 'u0', 30, { plan: 'pro' }),
    event(SIGNUP, 'u1', 30, { plan: 'pro' }),
    event(SIGNUP, 'u2', 30, { plan: 'pro' }),
    event(SIGNUP, 'u3', 30, { plan: 'free' }),
    event(CHECKOUT, 'u0', 20),
    event(CHECKOUT, 'u1', 10),
    event(CHECKOUT, 'u3', 25),
    event(CHECKOUT, 'u2', 40), // before u2's signup: not a conversion
  ];
  const { status, json, text } = await apiCall('POST', '/v1/events', INGEST_KEY, { events });
  check(status === 200 && json?.accepted === events.length, `POST /v1/events answered ${status}: ${text.slice(0, 300)}`);
  passed(`sent ${events.length} events of ${SIGNUP} and ${CHECKOUT}`);
  // the pipeline is asynchronous: wait (bounded) until the API has all of them, then test the page
  const query = new URLSearchParams([['step', JSON.stringify({ type: SIGNUP })], ['step', JSON.stringify({ type: CHECKOUT })]]);
  let last = '';
  await waitFor(
    async () => {
      const answer = await apiCall('GET', `/v1/insights/funnel?${query}`, ADMIN_KEY);
      last = answer.text.slice(0, 300);
      return answer.status === 200 && answer.json.steps[0].count === 4 && answer.json.steps[1].count === 3;
    },
    { timeoutMs: PIPELINE_TIMEOUT_MS, describe: async () => `the funnel API never answered 4 -> 3 people; last: ${last}` },
  );
}

async function signIn(page) {
  await page.goto(`${BASE_URL}/sign-in`);
  await page.getByTestId('signin-key').fill(ADMIN_KEY);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('session-tenant').waitFor({ timeout: ms(15_000) }).catch(() => fail('sign-in did not reach the app'));
}

async function texts(page, ids) {
  return Promise.all(ids.map(async (id) => (await page.getByTestId(id).innerText()).trim()));
}

async function buildFunnel(page) {
  await page.getByRole('link', { name: 'Funnels' }).click();
  await page.waitForURL((url) => url.pathname === '/funnels');
  await page.getByTestId('state-empty').waitFor();
  await page.getByTestId('step-0-type').fill(SIGNUP);
  await page.getByTestId('step-1-type').fill(CHECKOUT);
  await page.getByTestId('funnel-window').selectOption('86400');
  await page.getByTestId('funnel-breakdown-property').fill('plan');
  await page.getByTestId('funnel-run').click();
  await page.getByTestId('funnel-chart').waitFor({ timeout: ms(30_000) }).catch(() => fail('the funnel chart did not appear'));
  const [entered, converted] = await texts(page, ['funnel-count-0', 'funnel-count-1']);
  check(entered === '4' && converted === '3', `the bars say ${entered} -> ${converted}, expected 4 -> 3`);
  const conversion = await page.getByTestId('funnel-conversion-1').innerText();
  check(conversion.startsWith('75% of first'), `step 2's conversion reads "${conversion}"`);
  const rows = await page.getByTestId('funnel-breakdown-row').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.innerText.trim())));
  check(rows.length === 2 && rows[0][0] === 'pro' && rows[0][1] === '3' && rows[0][2].startsWith('2') && rows[1][0] === 'free', `breakdown rows: ${JSON.stringify(rows)}`);
  passed(`the funnel ${SIGNUP} -> ${CHECKOUT} shows 4 -> 3 (75%), pro 3 -> 2, free 1 -> 1`);
  await screenshot(page, 'funnel-breakdown.png');

  await page.getByTestId('step-0-add-filter').click();
  await page.getByTestId('step-0-filter-0-property').fill('plan');
  await page.getByTestId('step-0-filter-0-value').fill('pro');
  await page.getByTestId('funnel-run').click();
  await waitFor(async () => (await texts(page, ['funnel-count-0', 'funnel-count-1'])).join() === '3,2', {
    timeoutMs: ms(30_000),
    describe: async () => `with plan = pro the bars say ${(await texts(page, ['funnel-count-0', 'funnel-count-1'])).join(' -> ')}, expected 3 -> 2`,
  });
  const median = await page.getByTestId('funnel-median-1').innerText();
  check(median === 'median 15 min', `the median time reads "${median}" (u0 10 min, u1 20 min)`);
  passed('a filter on step 1 (plan = pro) narrows it to 3 -> 2, median 15 min');
  return page.url();
}

async function openShared(context, url) {
  // a new tab has its own sessionStorage, so no key: like a colleague opening the link, it signs in first
  // and the app brings it back to the shared URL
  const fresh = await context.newPage();
  await fresh.goto(url);
  await fresh.waitForURL((u) => u.pathname === '/sign-in', { timeout: ms(15_000) }).catch(() => fail(`a keyless tab at the shared URL is at ${fresh.url()}`));
  await fresh.getByTestId('signin-key').fill(ADMIN_KEY);
  await fresh.getByTestId('signin-submit').click();
  await fresh.waitForURL((u) => u.pathname === '/funnels', { timeout: ms(15_000) }).catch(() => fail(`after sign-in the shared link went to ${fresh.url()}`));
  check(fresh.url() === url, `after sign-in the tab is at ${fresh.url()}, not the shared ${url}`);
  await fresh.getByTestId('funnel-chart').waitFor({ timeout: ms(30_000) }).catch(() => fail(`the shared URL drew no funnel: ${url}`));
  const counts = await texts(fresh, ['funnel-count-0', 'funnel-count-1']);
  check(counts.join() === '3,2', `the shared URL shows ${counts.join(' -> ')}, expected 3 -> 2`);
  check((await fresh.getByTestId('step-0-filter-0-value').inputValue()) === 'pro', 'the shared URL lost the filter');
  check((await fresh.getByTestId('funnel-window').inputValue()) === '86400', 'the shared URL lost the window');
  const params = new URL(url).searchParams;
  check(params.getAll('step').length === 2 && params.get('breakdown') === 'plan', `the URL does not hold the query: ${url}`);
  passed('the page URL, opened in a new tab (sign-in, then back to it), runs the same funnel (steps, filter, window, breakdown)');
  await screenshot(fresh, 'funnel-shared.png');
}

async function main() {
  await runWalk(
    'funnels',
    async ({ context, page }) => {
      await sendFunnelEvents();
      await signIn(page);
      const url = await buildFunnel(page);
      await openShared(context, url);
    },
    { run: RUN },
  );
}

await main();
