// End-to-end steps for issue 17: the dashboard tells the truth about the newest minute, a firing
// alert, a notification that went nowhere, and event time against receive time.
import { apiCall, BASE_URL, check, fail, passed, ms, PIPELINE_TIMEOUT_MS, screenshot, waitFor } from './support.mjs';

/** "2026-12-07 14:36:44": the one time format of the dashboard. */
const ONE_FORMAT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/;

/** A rule the batch itself fires (the aggregator's fast path): more than 1 event in 5 minutes, no channel. */
export async function createAlertRule(adminKey, eventType) {
  const body = {
    name: `e2e burst ${eventType}`,
    event_type: eventType,
    metric: 'count',
    window_seconds: 300,
    condition: { kind: 'threshold', operator: 'above', value: 1 },
    severity: 'critical',
    channels: [],
  };
  const { status, json, text } = await apiCall('POST', '/v1/alerts', adminKey, body);
  check(status === 201, `POST /v1/alerts answered ${status}: ${text.slice(0, 300)}`);
  passed(`created alert rule "${json.name}" (count above 1 over 5 min, no channels)`);
  return json;
}

async function tooltipAt(page, fraction) {
  const over = page.locator('[data-testid="overview-chart"] .u-over');
  const box = await over.boundingBox();
  check(box, 'the Overview chart has no plot area');
  await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
  const tip = page.getByTestId('chart-tooltip');
  await tip.waitFor({ state: 'visible', timeout: ms(5_000) }).catch(() => fail('no tooltip beside the cursor'));
  const tipBox = await tip.boundingBox();
  const cursorX = box.x + box.width * fraction;
  check(tipBox && Math.abs(tipBox.x - cursorX) < 400 && Math.abs(tipBox.x + tipBox.width - cursorX) < 400, 'the tooltip is not beside the cursor');
  return { text: (await tip.textContent()) ?? '', partial: await tip.getAttribute('data-partial') };
}

export async function checkLiveChart(page, eventType) {
  const chart = page.locator('[data-testid="overview-chart"][data-state="drawn"]');
  // The newest minute is still filling on almost every refresh (every 5 s); wait for one where it is.
  await waitFor(async () => Number(await chart.getAttribute('data-partial-from')) < Number(await chart.getAttribute('data-points')), {
    timeoutMs: PIPELINE_TIMEOUT_MS,
    describe: async () => `no bucket is marked as still filling (partial from ${await chart.getAttribute('data-partial-from')} of ${await chart.getAttribute('data-points')})`,
  });
  const newest = await tooltipAt(page, 0.999);
  check(newest.partial === 'true' && newest.text.includes('so far') && newest.text.includes('still filling'), `the newest minute's tooltip does not say "so far": "${newest.text}"`);
  check(ONE_FORMAT.test(newest.text), `the tooltip's time is not in the one format: "${newest.text}"`);
  check(!/\b(am|pm)\b/i.test(newest.text), `the tooltip uses am/pm: "${newest.text}"`);
  const older = await tooltipAt(page, 0.3);
  check(older.partial === 'false' && !older.text.includes('so far'), `a complete minute's tooltip says "so far": "${older.text}"`);
  passed(`the filling minute is marked: tooltip "${newest.text.slice(0, 60)}…"; a complete minute: "${older.text.slice(0, 30)}…"`);

  const { tableColour, legendColour } = await typeColours(page, eventType);
  check(tableColour === legendColour, `${eventType} is ${tableColour} in the table and ${legendColour} on the chart`);
  passed(`${eventType} has one colour in the table and on the chart (${tableColour})`);
  const legend = page.locator(`[data-testid="legend-item"][data-label="${eventType}"]`);

  await page.getByTestId('chart-log').check();
  await page.locator('[data-testid="overview-chart"][data-scale="log"][data-state="drawn"]').waitFor({ timeout: ms(10_000) }).catch(() => fail('the log scale did not draw'));
  passed('the chart switches to a log scale');
  if ((await legend.getAttribute('aria-pressed')) === 'false') await legend.click(); // shown first, whatever its rank
  await legend.click();
  check((await legend.getAttribute('aria-pressed')) === 'false', `${eventType} did not hide`);
  const hidden = await tooltipAt(page, 0.999);
  check(!hidden.text.includes(eventType), `a hidden type is still in the tooltip: "${hidden.text}"`);
  await legend.click();
  passed(`${eventType} hides and shows again from the legend`);
  await screenshot(page, 'overview-chart.png');
  await checkPaletteColour(page, eventType);
}

/** Both swatches in one evaluate: a render between two reads (the catalog arriving) cannot split them. */
async function typeColours(page, eventType) {
  return page.evaluate((type) => {
    const row = document.querySelector(`[data-testid="top-type-row"][data-event-type="${CSS.escape(type)}"] [data-testid="type-swatch"]`);
    const legend = document.querySelector(`[data-testid="legend-item"][data-label="${CSS.escape(type)}"] .swatch`);
    return {
      tableColour: row ? getComputedStyle(row).backgroundColor : 'missing',
      legendColour: legend ? getComputedStyle(legend).borderTopColor : 'missing',
    };
  }, eventType);
}

/**
 * The page may have read the catalog before the type's first batch landed (then the type has its name's
 * colour); after a reload the catalog lists it, and the only type of this fresh tenant takes the
 * palette's first colour (src/lib/colors.ts, #4e79a7) in the table and on the chart alike.
 */
async function checkPaletteColour(page, eventType) {
  const first = 'rgb(78, 121, 167)';
  await page.goto(`${BASE_URL}/?top=20`);
  let seen = { tableColour: 'not read', legendColour: 'not read' };
  await waitFor(
    async () => {
      seen = await typeColours(page, eventType);
      return seen.tableColour === first && seen.legendColour === first;
    },
    { timeoutMs: ms(20_000), describe: async () => `after a reload ${eventType} is ${seen.tableColour} in the table and ${seen.legendColour} on the chart, not the palette's first colour ${first}` },
  );
  passed(`after a reload ${eventType}, the tenant's first type, has the palette's first colour in the table and on the chart`);
}

export async function checkAlertTruth(page, rule) {
  const badge = page.getByTestId('nav-firing');
  await waitFor(async () => (await badge.count()) > 0, {
    timeoutMs: PIPELINE_TIMEOUT_MS,
    describe: async () => `the navigation shows no firing alert; the rule is ${JSON.stringify((await apiCall('GET', '/v1/alerts', process.env.CS_ADMIN_KEY)).json)}`,
  });
  check((await badge.textContent())?.trim() === '1 firing', `the badge says "${await badge.textContent()}"`);
  await page.goto(`${BASE_URL}/`);
  const banner = page.getByTestId('firing-banner');
  await banner.waitFor({ timeout: ms(15_000) }).catch(() => fail('no firing banner on the Overview'));
  check((await banner.textContent())?.includes(rule.name), 'the banner does not name the firing rule');
  check((await page.title()).startsWith('(1 firing) Overview'), `the tab is titled "${await page.title()}"`);
  passed(`a firing alert shows in the navigation, the tab title and a banner on the Overview`);

  await banner.getByRole('link', { name: rule.name }).click();
  await page.getByTestId('alert-detail').waitFor({ timeout: ms(15_000) });
  const row = page.getByTestId('history-row').first();
  await row.waitFor({ timeout: ms(15_000) });
  const since = (await page.locator('[data-testid="alert-detail"] .page-head time').getAttribute('datetime')) ?? '';
  const recorded = (await row.locator('td').first().locator('time').getAttribute('datetime')) ?? '';
  check(since !== '' && Date.parse(since) === Date.parse(recorded), `FIRING since ${since}, but the transition was recorded at ${recorded}`);
  const notification = (await row.getByTestId('history-notification').textContent())?.trim();
  check(notification === 'not sent: no channels', `a rule with no channels shows notification "${notification}"`);
  const chart = page.locator('[data-testid="rule-chart"][data-state="drawn"]');
  await chart.waitFor({ timeout: ms(20_000) }).catch(() => fail("the rule's windows were not drawn"));
  check(Number(await chart.getAttribute('data-points')) > 0, 'the rule chart has no window');
  const title = await page.title();
  check(title.includes('Rule · Alerts'), `the rule page is titled "${title}"`);
  passed(`the rule page: since ${since} (when recorded), notification "${notification}", ${await chart.getAttribute('data-points')} windows drawn`);
  await screenshot(page, 'alert.png');
}

export async function checkCatalogTimes(page, eventType, sent) {
  await page.goto(`${BASE_URL}/catalog?q=${encodeURIComponent(eventType)}`);
  const row = page.locator(`[data-testid="catalog-row"][data-name="${eventType}"]`);
  await row.waitFor({ timeout: ms(15_000) }).catch(() => fail(`${eventType} is not in the catalog`));
  const first = await row.getByTestId('catalog-first-event').locator('time').getAttribute('datetime');
  const oldest = Math.min(...sent.map((e) => Date.parse(e.timestamp)));
  check(Date.parse(first ?? '') === oldest, `first event is ${first}, the oldest event sent happened at ${new Date(oldest).toISOString()}`);
  check((await page.getByTestId('freshness-text').count()) === 1, 'the catalog shows no freshness');
  passed(`the catalog's first event is the oldest event time (${first}), received time shown apart`);
  await screenshot(page, 'catalog.png');
}
