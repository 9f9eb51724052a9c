// End-to-end steps for issue 18's alerts on insights: a rule on the sum of a numeric property, narrowed by
// a property filter, built through the Alerts page's form (metric, property, the reused filter editor),
// described in words in the list and on its page, and judged by the alert evaluator the test runs.
import { BASE_URL, check, fail, ms, passed, PIPELINE_TIMEOUT_MS, screenshot, waitFor } from './support.mjs';

/** The visible text of the first element with this test id, or null: read in one go, never waited for. */
const textOf = (page, testId) => page.locator(`[data-testid="${testId}"]`).first().textContent({ timeout: ms(5_000) }).then((t) => t?.trim() ?? null);

/**
 * Opens the Alerts page from the navigation, and creates "sum of `property` where plan = pro, above
 * `threshold` over 1 h" with the form; returns the rule's id, name and the words every view must use.
 */
export async function createSumRule(page, { eventType, property, plan, threshold, run }) {
  await page.getByRole('navigation').getByRole('link', { name: /^Alerts/ }).click();
  await page.waitForURL((url) => url.pathname === '/alerts', { timeout: ms(15_000) });
  await page.getByTestId('alerts-new').click();
  await page.getByTestId('rule-form').waitFor({ timeout: ms(15_000) }).catch(() => fail('New rule did not open the rule form'));

  const name = `e2e pro revenue ${run}`;
  await page.getByTestId('rule-name').fill(name);
  await page.getByTestId('rule-event-type').fill(eventType);
  await page.getByTestId('rule-metric').selectOption('sum');
  // The picker lists the properties the catalog has seen only as numbers, once it has read the type's.
  const numeric = page.locator(`[data-testid="rule-property"] option[value="${property}"]`);
  await numeric.waitFor({ state: 'attached', timeout: ms(15_000) }).catch(async () => {
    const offered = await page.locator('[data-testid="rule-property"] option').allTextContents();
    fail(`the numeric property picker does not offer "${property}": ${JSON.stringify(offered)}`);
  });
  const offered = await page.locator('[data-testid="rule-property"] option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  check(!offered.includes('plan'), `the numeric property picker offers the text property "plan": ${JSON.stringify(offered)}`);
  await page.getByTestId('rule-property').selectOption(property);
  await page.getByTestId('rule-window').selectOption('3600');

  // The filter editor of the Metrics page: add a row, pick the property, leave "equals", type the value.
  const filters = page.getByTestId('rule-filters');
  await filters.getByTestId('insight-filter-add').click();
  const row = filters.getByTestId('insight-filter').first();
  await row.getByTestId('insight-filter-property').selectOption('plan');
  check((await row.getByTestId('insight-filter-pending').count()) === 1, 'a filter row with no value is not marked as not applied');
  check((await row.getByTestId('insight-filter-op').inputValue()) === 'eq', 'a new filter row does not start at "equals"');
  await row.getByTestId('insight-filter-value').fill(plan);
  await row.getByTestId('insight-filter-pending').waitFor({ state: 'detached', timeout: ms(5_000) }).catch(() => fail('the whole filter row still says "not applied"'));

  await page.getByTestId('rule-threshold-operator').selectOption('above');
  await page.getByTestId('rule-threshold-value').fill(String(threshold));
  const condition = `sum of ${property} > ${threshold} over 1 h, where plan equals "${plan}"`;
  const metric = `sum of ${property} where plan equals "${plan}"`;
  const preview = await textOf(page, 'rule-preview');
  check(preview === `Fires on ${eventType}: ${condition}.`, `the form's preview says "${preview}", not "Fires on ${eventType}: ${condition}."`);
  passed(`the rule form reads: "${preview}"`);
  await screenshot(page, 'alert-rule-form.png');

  await page.getByTestId('rule-form-submit').click();
  await page.waitForURL((url) => /^\/alerts\/[^/]+$/.test(url.pathname) && url.pathname !== '/alerts/new', { timeout: ms(15_000) })
    .catch(async () => fail(`saving the rule did not open its page (at ${page.url()}): ${await page.getByTestId('rule-form').innerText().catch(() => '')}`));
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  const rule = { id, name, condition, metric };
  await checkRulePage(page, rule);
  await checkRuleListed(page, rule);
  return rule;
}

async function checkRulePage(page, rule) {
  await page.getByTestId('alert-detail').waitFor({ timeout: ms(15_000) }).catch(() => fail('the new rule\'s page shows no rule'));
  check((await page.locator('[data-testid="alert-detail"] h1').textContent()) === rule.name, 'the rule page is not titled with its name');
  const seen = { condition: await textOf(page, 'alert-detail-condition'), metric: await textOf(page, 'alert-detail-metric') };
  check(seen.condition === rule.condition, `the rule page says condition "${seen.condition}", not "${rule.condition}"`);
  check(seen.metric === rule.metric, `the rule page says metric "${seen.metric}", not "${rule.metric}"`);
  passed(`the rule page says: "${seen.condition}" (metric "${seen.metric}")`);
}

async function checkRuleListed(page, rule) {
  await page.goto(`${BASE_URL}/alerts`);
  const row = page.locator(`[data-testid="alerts-row"][data-id="${rule.id}"]`);
  await row.waitFor({ timeout: ms(15_000) }).catch(() => fail(`the Alerts list has no row for ${rule.name}`));
  let seen = null;
  // The list's summary has no condition parameters: the row reads its rule for them, a moment later.
  await waitFor(
    async () => {
      seen = { metric: (await row.getByTestId('alert-metric').textContent())?.trim(), condition: (await row.getByTestId('alert-condition').textContent())?.trim() };
      return seen.metric === rule.metric && seen.condition === rule.condition;
    },
    { timeoutMs: ms(15_000), intervalMs: 250, describe: async () => `the Alerts list describes the rule as ${JSON.stringify(seen)}, not ${JSON.stringify({ metric: rule.metric, condition: rule.condition })}` },
  );
  passed(`the Alerts list describes it: metric "${seen.metric}", condition "${seen.condition}"`);
}

/**
 * The evaluator (every minute) judges the rule's first whole window: FIRING, with the filtered sum as the
 * observed value, on the rule's page (state and history) and in the list. The page refreshes its state by
 * itself; the history is read again by reloading.
 */
export async function checkRuleEvaluates(page, rule, { observed, threshold }) {
  await page.goto(`${BASE_URL}/alerts/${encodeURIComponent(rule.id)}`);
  let seen = null;
  const read = async () => {
    const history = page.getByTestId('history-row').first();
    const hasRow = (await history.count()) > 0;
    return {
      state: await textOf(page, 'alert-state'),
      transition: hasRow ? (await history.getByTestId('history-transition').innerText()).replace(/\s+/g, ' ').trim() : null,
      observed: hasRow ? (await history.getByTestId('history-observed').innerText()).trim() : null,
      expected: hasRow ? (await history.getByTestId('history-expected').innerText()).trim() : null,
    };
  };
  // The evaluator's first run after the rule was saved can be a minute away, and the window is judged only
  // once the aggregator has caught up: the pipeline's bound plus one schedule period.
  await waitFor(
    async () => {
      await page.getByTestId('alert-detail').waitFor({ timeout: ms(15_000) });
      seen = await read();
      if (seen.state === 'FIRING' && seen.transition !== null) return true;
      await page.reload();
      return false;
    },
    { timeoutMs: PIPELINE_TIMEOUT_MS + ms(90_000), intervalMs: 5_000, describe: async () => `the rule was not judged FIRING by the evaluator: the page shows ${JSON.stringify(seen)}` },
  );
  check(seen.transition === 'OK → FIRING', `the rule's first transition reads "${seen.transition}"`);
  check(seen.observed === String(observed), `the evaluator observed ${seen.observed}, not the sum over plan = pro, ${observed}`);
  check(seen.expected === `> ${threshold}`, `the history compares with "${seen.expected}", not "> ${threshold}"`);
  passed(`the evaluator judged it: ${seen.transition}, observed ${seen.observed} (${seen.expected})`);
  await screenshot(page, 'alert-rule-firing.png');

  await page.goto(`${BASE_URL}/alerts`);
  const row = page.locator(`[data-testid="alerts-row"][data-id="${rule.id}"][data-state="FIRING"]`);
  await row.waitFor({ timeout: ms(20_000) }).catch(() => fail('the Alerts list does not show the rule FIRING'));
  passed('the Alerts list shows it FIRING');
}
