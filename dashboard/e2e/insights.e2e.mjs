#!/usr/bin/env node
// End-to-end walk of issue 18's insight builder against a running CustomerSignal API (which serves
// dashboard/dist): send events with a `plan` property, build "count by plan" on the Metrics page, turn on
// the previous period, copy the chart's link, open it in a fresh tab (signing in again) and see the same
// chart: same query, same controls, same lines and totals. Then, on the Alerts page, create a rule on the
// sum of `amount` where plan = pro through the form, see it described in words in the list and on its
// page, and see the alert evaluator (run by the pytest test beside the walk) judge it FIRING on that sum.
//
//   BASE_URL=http://127.0.0.1:8000 CS_ADMIN_KEY=cs_... CS_INGEST_KEY=cs_... ARTIFACTS_DIR=test-results \
//   node e2e/insights.e2e.mjs
//
// Exit code 0 = all steps passed; 1 = a step failed; 2 = bad setup. Timeouts scale with load (support.mjs).
import { randomUUID } from 'node:crypto';

import path from 'node:path';

import { checkRuleEvaluates, createSumRule } from './ruleForm.mjs';
import { apiCall, BASE_URL, check, fail, ms, passed, PIPELINE_TIMEOUT_MS, screenshot, waitFor, ADMIN_KEY, INGEST_KEY, runWalk } from './support.mjs';

const RUN = randomUUID().slice(0, 8);
const EVENT_TYPE = `e2e_insight_${RUN}`;
/** Events per plan: distinct counts, so that the order (total desc) and every total are checked. */
const PLANS = { pro: 7, free: 4, team: 2 };
/** The i-th event of a plan has amount 10 * (i + 1): the pro events sum to 280, all of them to 410. */
const amountOf = (i) => 10 * (i + 1);
const PRO_SUM = Array.from({ length: PLANS.pro }, (_, i) => amountOf(i)).reduce((a, b) => a + b, 0);
/** Below the pro sum, so the rule fires; the unfiltered sum (410) would fire too, so the observed value it
 * shows (280) is what proves the filter applied. */
const RULE_THRESHOLD = 250;

async function signIn(page) {
  await page.waitForURL((url) => url.pathname === '/sign-in', { timeout: ms(15_000) }).catch(() => fail(`expected the sign-in page, at ${page.url()}`));
  await page.getByTestId('signin-key').fill(ADMIN_KEY);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('session-tenant').waitFor({ timeout: ms(15_000) }).catch(() => fail('sign-in with CS_ADMIN_KEY did not reach the app'));
}

async function sendEvents() {
  const now = Date.now();
  const events = Object.entries(PLANS).flatMap(([plan, n]) =>
    Array.from({ length: n }, (_, i) => ({
      event_id: randomUUID(),
      event_type: EVENT_TYPE,
      user_id: `e2e-${RUN}-${plan}-${i}`,
      timestamp: new Date(now - (i + 1) * 60_000).toISOString(),
      properties: { plan, amount: amountOf(i) },
    })),
  );
  const { status, json, text } = await apiCall('POST', '/v1/events', INGEST_KEY, { events });
  check(status === 200 && json?.accepted === events.length, `POST /v1/events answered ${status}: ${text.slice(0, 300)}`);
  passed(`sent ${events.length} events of ${EVENT_TYPE} (plan: ${JSON.stringify(PLANS)})`);
}

/** What the page shows of the chart: the URL's query, the controls, the drawn lines and the totals. */
async function readChart(page) {
  return page.evaluate(() => {
    const value = (id) => document.querySelector(`[data-testid="${id}"]`)?.value ?? null;
    const chart = document.querySelector('[data-testid="insight-chart"]');
    const head = [...document.querySelectorAll('[data-testid="metrics-table"] thead th')].slice(1).map((th) => th.textContent.trim());
    const totals = [...document.querySelectorAll('[data-testid="metrics-table"] tfoot th')].slice(1).map((th) => th.textContent.trim());
    return {
      search: new URLSearchParams(location.search).toString(),
      controls: ['insight-type', 'insight-measure', 'insight-breakdown', 'insight-limit', 'insight-interval', 'insight-range', 'filter-tz'].map(value),
      compare: document.querySelector('[data-testid="chart-compare"]')?.checked ?? null,
      state: chart?.dataset.state ?? null,
      series: chart?.dataset.series ?? null,
      previous: chart?.dataset.previous ?? null,
      legend: [...document.querySelectorAll('[data-testid="legend-item"]')].map((b) => b.dataset.label),
      totals: Object.fromEntries(head.map((h, i) => [h, totals[i]])),
      caption: document.querySelector('[data-testid="insight-caption"]')?.textContent ?? null,
    };
  });
}

async function buildBreakdown(page) {
  await page.goto(`${BASE_URL}/metrics`);
  await page.getByTestId('metrics-view-insight').click();
  await page.getByTestId('insight-range').selectOption('24h');
  // the catalog learns the type from the first batch; the type list reads it
  const typeListed = async () => (await page.locator(`[data-testid="insight-type"] option[value="${EVENT_TYPE}"]`).count()) > 0;
  await waitFor(async () => {
    if (await typeListed()) return true;
    await page.reload();
    return false;
  }, {
    timeoutMs: PIPELINE_TIMEOUT_MS,
    intervalMs: 2_000,
    describe: async () => `${EVENT_TYPE} never appeared among the insight's event types`,
  });
  await page.getByTestId('insight-type').selectOption(EVENT_TYPE);
  await waitFor(async () => (await page.locator('[data-testid="insight-breakdown"] option[value="plan"]').count()) > 0, {
    timeoutMs: ms(15_000),
    intervalMs: 250,
    describe: async () => 'the breakdown does not offer the property "plan"',
  });
  await page.getByTestId('insight-breakdown').selectOption('plan');
  const expected = Object.fromEntries(Object.entries(PLANS).map(([plan, n]) => [plan, String(n)]));
  let seen = null;
  await waitFor(
    async () => {
      seen = await readChart(page);
      // pro, free, team by total; an "Other" line may follow (nothing else is in the rest)
      const byTotal = JSON.stringify(seen.legend.slice(0, 3)) === JSON.stringify(Object.keys(PLANS)) && seen.legend.length <= 4;
      return seen.state === 'drawn' && byTotal && Object.entries(expected).every(([k, v]) => seen.totals[k] === v);
    },
    { timeoutMs: PIPELINE_TIMEOUT_MS, intervalMs: 1_000, describe: async () => `the breakdown chart did not show ${JSON.stringify(expected)}: ${JSON.stringify(seen)}` },
  );
  passed(`built "${seen.caption}": lines ${seen.legend.join(', ')} with totals ${JSON.stringify(seen.totals)} (${await page.getByTestId('insight-source').innerText()})`);

  // click, not check(): the box follows the URL, which a router navigation updates a moment later
  await page.getByTestId('chart-compare').click();
  await page.locator('[data-testid="insight-chart"][data-previous="true"][data-state="drawn"]').waitFor({ timeout: ms(20_000) }).catch(() => fail('the previous period was not drawn'));
  check(new URL(page.url()).searchParams.get('compare') === 'previous', 'the comparison is not in the URL');
  const over = await page.locator('[data-testid="insight-chart"] .u-over').boundingBox();
  check(over, 'the insight chart has no plot area');
  await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
  const tip = page.getByTestId('chart-tooltip');
  await tip.waitFor({ state: 'visible', timeout: ms(5_000) }).catch(() => fail('no tooltip on the insight chart'));
  const tipText = (await tip.innerText()).replace(/\s+/g, ' ');
  check(tipText.includes('previous'), `the tooltip does not show the previous period: "${tipText}"`);
  passed(`the previous period is drawn (dotted), kept in the URL, and in the tooltip: "${tipText.slice(0, 80)}…"`);
  await screenshot(page, 'insight-breakdown.png');
  return readChart(page);
}

async function shareAndReopen(context, page, built) {
  await page.getByTestId('insight-copy-link').click();
  const link = await page.getByTestId('insight-link').inputValue({ timeout: ms(10_000) });
  check(link === page.url(), `the copied link ${link} is not the page's URL ${page.url()}`);
  const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
  check(copied === null || copied === link, `the clipboard holds ${copied}, not ${link}`);
  passed(`Copy link gave the page's URL${copied ? ' (and put it on the clipboard)' : ''}: ${link.slice(BASE_URL.length)}`);

  // A new tab has its own sessionStorage: it has to sign in, and comes back to the shared link.
  const fresh = await context.newPage();
  fresh.setDefaultTimeout(ms(15_000));
  await fresh.goto(link);
  await signIn(fresh);
  await fresh.waitForURL((url) => url.pathname === '/metrics', { timeout: ms(15_000) });
  let again = null;
  await waitFor(
    async () => {
      again = await readChart(fresh);
      return again.state === 'drawn' && again.previous === 'true' && JSON.stringify(again.totals) === JSON.stringify(built.totals);
    },
    { timeoutMs: ms(30_000), intervalMs: 500, describe: async () => `the shared link shows ${JSON.stringify(again)}, not ${JSON.stringify(built)}` },
  );
  for (const key of ['search', 'controls', 'compare', 'series', 'legend', 'caption']) {
    check(JSON.stringify(again[key]) === JSON.stringify(built[key]), `the shared link's ${key} is ${JSON.stringify(again[key])}, the original's ${JSON.stringify(built[key])}`);
  }
  passed(`the shared link, opened fresh, shows the same chart: ${again.legend.join(', ')}, totals ${JSON.stringify(again.totals)}, previous period on`);
  await screenshot(fresh, 'insight-shared.png');
  await fresh.close();
}

async function main() {
  await runWalk(
    'insights',
    async ({ context, page }) => {
      await page.goto(`${BASE_URL}/`);
      await signIn(page);
      await sendEvents();
      const built = await buildBreakdown(page);
      await shareAndReopen(context, page, built);
      const rule = await createSumRule(page, { eventType: EVENT_TYPE, property: 'amount', plan: 'pro', threshold: RULE_THRESHOLD, run: RUN });
      await checkRuleEvaluates(page, rule, { observed: PRO_SUM, threshold: RULE_THRESHOLD });
    },
    { wholeRunMs: 7 * 60_000, permissions: ['clipboard-read', 'clipboard-write'], run: RUN },
  );
}

await main();
