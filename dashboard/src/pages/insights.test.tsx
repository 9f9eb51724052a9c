// @vitest-environment jsdom
// Issue 18: the Metrics page's insight builder, the previous period, and the catalog's rollup marks.
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, renderApp, stubApi, type Call } from '../test/api';
import { admin, catalog, CHECKOUT, noAlerts, refusedFilter, trend, trendAnswer } from '../test/insightFixtures';

// uPlot draws on a canvas, which jsdom has not got: the chart itself is checked in Chromium (tests/e2e).
vi.mock('../components/Chart', () => ({
  Chart: (props: { testId?: string; partialFrom: number; xs: number[]; series: { label: string; previous?: unknown[] }[]; compare?: { on: boolean; onChange: (on: boolean) => void } | null }) => (
    <div
      data-testid={props.testId}
      data-partial-from={props.partialFrom}
      data-points={props.xs.length}
      data-labels={props.series.map((s) => s.label).join('|')}
      data-previous={JSON.stringify(props.series.map((s) => s.previous ?? null))}
    >
      {props.compare && (
        <input type="checkbox" checked={props.compare.on} onChange={(e) => props.compare?.onChange(e.target.checked)} data-testid="chart-compare" />
      )}
    </div>
  ),
}));

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const PLAN_PRO = JSON.stringify({ property: 'plan', op: 'eq', value: 'pro' });
const RANGE = 'range=custom&from=2026-12-07T00%3A00%3A00Z&to=2026-12-07T06%3A00%3A00Z&tz=UTC';
const trendCalls = (calls: Call[]) => calls.filter((c) => c.path === '/v1/insights/trend');
const lastTrend = (calls: Call[]) => trendCalls(calls).at(-1);
const value = (testId: string) => (screen.getByTestId(testId) as HTMLSelectElement | HTMLInputElement).value;

describe('the insight builder', () => {
  it('opens a shared URL as exactly the query it holds, controls included', async () => {
    const calls = stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?view=insight&type=checkout&measure=sum&property=amount&breakdown=plan&limit=5&filter=${encodeURIComponent(PLAN_PRO)}&interval=1h&${RANGE}`);
    const chart = await screen.findByTestId('insight-chart');
    const call = lastTrend(calls);
    expect(Object.fromEntries(call?.query ?? [])).toMatchObject({
      type: 'checkout', measure: 'sum', property: 'amount', breakdown: 'plan', limit: '5', interval: '1h', tz: 'UTC',
      start: '2026-12-07T00:00:00Z', end: '2026-12-07T06:00:00Z',
    });
    expect(call?.query.getAll('filter')).toEqual([PLAN_PRO]);
    expect(chart.dataset.labels).toBe('pro|free|Other');
    await waitFor(() => expect(value('insight-property')).toBe('amount'));
    expect([value('insight-type'), value('insight-measure'), value('insight-breakdown'), value('insight-limit')]).toEqual(['checkout', 'sum', 'plan', '5']);
    expect(screen.getAllByTestId('insight-filter')).toHaveLength(1);
    expect(value('insight-filter-value')).toBe('pro');
    expect(screen.getByTestId('insight-caption').textContent).toBe('Sum of amount of checkout by plan where plan equals "pro"');
    expect(screen.getByTestId('insight-source').dataset.source).toBe('rollup');
  });

  it('says when the answer came from raw events, and where to mark the property', async () => {
    stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?view=insight&type=checkout&breakdown=session&${RANGE}`);
    const source = await screen.findByTestId('insight-source');
    expect(source.dataset.source).toBe('raw');
    expect(source.textContent).toContain('from raw events (slower)');
    expect(within(source).getByRole('link', { name: 'catalog' }).getAttribute('href')).toBe('/catalog/checkout');
  });

  it('offers only numeric properties to sum, and asks for one before querying', async () => {
    const calls = stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?view=insight&type=checkout&measure=avg&${RANGE}`);
    expect((await screen.findByTestId('state-empty')).textContent).toContain('Pick the numeric property to measure.');
    const select = screen.getByTestId('insight-property') as HTMLSelectElement;
    await waitFor(() => expect([...select.options].map((o) => o.value)).toEqual(['', 'amount']));
    expect(trendCalls(calls)).toHaveLength(0);
    fireEvent.change(select, { target: { value: 'amount' } });
    await waitFor(() => expect(lastTrend(calls)?.query.get('property')).toBe('amount'));
    expect(lastTrend(calls)?.query.get('measure')).toBe('avg');
  });

  it('applies a filter once it is whole, and says why until then', async () => {
    const calls = stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?view=insight&type=checkout&${RANGE}`);
    await screen.findByTestId('insight-chart');
    fireEvent.change(screen.getByTestId('insight-breakdown'), { target: { value: 'plan' } });
    await waitFor(() => expect(lastTrend(calls)?.query.get('breakdown')).toBe('plan'));

    fireEvent.click(screen.getByTestId('insight-filter-add'));
    expect(screen.getByTestId('insight-filter-pending').textContent).toBe('not applied: pick a property');
    await waitFor(() => expect(within(screen.getByTestId('insight-filter-property')).queryByRole('option', { name: 'amount' })).not.toBeNull());
    fireEvent.change(screen.getByTestId('insight-filter-property'), { target: { value: 'amount' } });
    // amount has only ever been a number: the value is read as one
    expect(value('insight-filter-type')).toBe('number');
    fireEvent.change(screen.getByTestId('insight-filter-op'), { target: { value: 'gt' } });
    expect(screen.getByTestId('insight-filter-pending').textContent).toBe('not applied: "" is not a number');
    const before = trendCalls(calls).length;
    fireEvent.change(screen.getByTestId('insight-filter-value'), { target: { value: '9.5' } });
    await waitFor(() => expect(lastTrend(calls)?.query.getAll('filter')).toEqual([JSON.stringify({ property: 'amount', op: 'gt', value: 9.5 })]));
    expect(trendCalls(calls).slice(before, -1).every((c) => c.query.getAll('filter').length === 0)).toBe(true);
    expect(screen.queryByTestId('insight-filter-pending')).toBeNull();

    expect(screen.getByTestId('insight-caption').textContent).toBe('Events (count) of checkout by plan where amount > 9.5');
    fireEvent.click(screen.getByRole('button', { name: 'Remove filter 1' }));
    await waitFor(() => expect(screen.getByTestId('insight-caption').textContent).toBe('Events (count) of checkout by plan'));
    expect(screen.queryAllByTestId('insight-filter')).toHaveLength(0);
  });

  it("shows the API's 422 advice inline and marks the filter it names", async () => {
    stubApi(admin, noAlerts, catalog, refusedFilter, trend);
    renderApp(`/metrics?view=insight&type=checkout&filter=${encodeURIComponent(JSON.stringify({ property: 'plan', op: 'gt', value: 3 }))}&${RANGE}`);
    const advice = await screen.findByTestId('insight-advice');
    expect(screen.getByTestId('insight-advice-message').textContent).toBe("'filter[0].value' must be a number for 'gt'");
    expect(advice.dataset.field).toBe('filter[0].value');
    await waitFor(() => expect(screen.getByTestId('insight-filter').getAttribute('aria-invalid')).toBe('true'));
  });

  it('marks the control a slow raw scan names (422 query_too_slow), and a 400 naming a parameter', async () => {
    const slow = (c: Call) =>
      c.path === '/v1/insights/trend' && c.query.get('breakdown') === 'session'
        ? apiError(422, 'query_too_slow', "scanning the raw events took over 8 s: mark 'session' as a dimension of 'checkout'", 'breakdown')
        : c.path === '/v1/insights/trend' && c.query.get('interval') === '1m'
          ? apiError(400, 'too_many_points', 'coarsen the interval', 'interval')
          : undefined;
    stubApi(admin, noAlerts, catalog, slow, trend);
    renderApp(`/metrics?view=insight&type=checkout&breakdown=session&${RANGE}`);
    expect((await screen.findByTestId('insight-advice-message')).textContent).toContain("mark 'session' as a dimension");
    await waitFor(() => expect(screen.getByTestId('insight-breakdown').getAttribute('aria-invalid')).toBe('true'));
    fireEvent.change(screen.getByTestId('insight-breakdown'), { target: { value: 'plan' } });
    await screen.findByTestId('insight-chart');
    expect(screen.queryByTestId('insight-advice')).toBeNull();
    fireEvent.change(screen.getByTestId('insight-interval'), { target: { value: '1m' } });
    await waitFor(() => expect(screen.getByTestId('insight-advice').dataset.field).toBe('interval'));
    expect(screen.getByTestId('insight-interval').getAttribute('aria-invalid')).toBe('true');
  });

  it('carries the type, range and zone over from the types chart, and back', async () => {
    const calls = stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?types=checkout,signup&interval=1h&${RANGE}`);
    fireEvent.click(await screen.findByTestId('metrics-view-insight'));
    await waitFor(() => expect(lastTrend(calls)?.query.get('type')).toBe('checkout'));
    expect(lastTrend(calls)?.query.get('start')).toBe('2026-12-07T00:00:00Z');
    fireEvent.click(screen.getByTestId('metrics-view-types'));
    await waitFor(() => expect(calls.filter((c) => c.path === '/v1/metrics/series').at(-1)?.query.get('types')).toBe('checkout'));
  });
});

describe('the bucket still filling', () => {
  // Six hours of a past day: every bucket has ended, so only the watermark can leave one filling.
  const PAST = 'range=custom&from=2026-11-02T00%3A00%3A00Z&to=2026-11-02T06%3A00%3A00Z&tz=UTC&interval=1h';
  const complete = (upTo: string | null) =>
    (c: Call) => (c.path === '/v1/insights/trend' ? { status: 200, body: { ...trendAnswer(c), freshness: { complete_up_to: upTo, lag_seconds: upTo && 2.5 } } } : undefined);
  const partialRows = () => screen.getAllByTestId('metrics-table')[0]?.querySelectorAll('tbody tr[data-partial="true"]').length;

  it('is marked from the first bucket that ends after the watermark, in the chart and the table', async () => {
    stubApi(admin, noAlerts, catalog, complete('2026-11-02T03:30:00Z'));
    renderApp(`/metrics?view=insight&type=checkout&breakdown=plan&${PAST}`);
    const chart = await screen.findByTestId('insight-chart');
    // 03:00-04:00 ends after 03:30: it and every later bucket may still grow
    expect([chart.dataset.points, chart.dataset.partialFrom]).toEqual(['6', '3']);
    expect(partialRows()).toBe(3);
    expect(screen.getAllByText(/still filling/)).toHaveLength(3);
    expect(screen.getByTestId('freshness-text').textContent).toContain('complete up to');
  });

  it('leaves a bucket that ends exactly at the watermark complete', async () => {
    stubApi(admin, noAlerts, catalog, complete('2026-11-02T04:00:00Z'));
    renderApp(`/metrics?view=insight&type=checkout&${PAST}`);
    const chart = await screen.findByTestId('insight-chart');
    expect(chart.dataset.partialFrom).toBe('4');
    expect(partialRows()).toBe(2);
  });

  it('is nowhere once the watermark has passed the range, and only where the clock says without one', async () => {
    stubApi(admin, noAlerts, catalog, complete('2026-11-03T00:00:00Z'));
    renderApp(`/metrics?view=insight&type=checkout&${PAST}`);
    expect((await screen.findByTestId('insight-chart')).dataset.partialFrom).toBe('6');
    expect(partialRows()).toBe(0);
    cleanup();
    stubApi(admin, noAlerts, catalog, complete(null));
    renderApp(`/metrics?view=insight&type=checkout&${PAST}`);
    expect((await screen.findByTestId('insight-chart')).dataset.partialFrom).toBe('6');
    expect(screen.getByTestId('freshness-text').textContent).toBe('no complete data yet, lag unknown');
  });
});

describe('the previous period', () => {
  it('asks for the range shifted back by its own length and hands it to the chart by breakdown value', async () => {
    const calls = stubApi(admin, noAlerts, catalog, trend);
    renderApp(`/metrics?view=insight&type=checkout&breakdown=plan&${RANGE}`);
    const chart = await screen.findByTestId('insight-chart');
    expect(JSON.parse(chart.dataset.previous ?? '')).toEqual([null, null, null]);
    fireEvent.click(screen.getByTestId('chart-compare'));
    await waitFor(() => expect(trendCalls(calls).some((c) => c.query.get('end') === '2026-12-07T00:00:00Z')).toBe(true));
    const previous = trendCalls(calls).find((c) => c.query.get('end') === '2026-12-07T00:00:00Z');
    expect(previous?.query.get('start')).toBe('2026-12-06T18:00:00Z');
    expect(previous?.query.get('breakdown')).toBe('plan');
    await waitFor(() => expect(JSON.parse(screen.getByTestId('insight-chart').dataset.previous ?? '')).toEqual([[5, 5, 5, 5, 5, 5], [3, 3, 3, 3, 3, 3], [1, 1, 1, 1, 1, 1]]));
  });

  it('works on the types chart too (/v1/metrics/series)', async () => {
    const series = (c: Call) => {
      if (c.path !== '/v1/metrics/series') return undefined;
      const from = Date.parse(c.query.get('from') ?? '');
      const buckets = [0, 1, 2].map((i) => from + i * 3_600_000);
      const v = from < Date.parse('2026-12-07T00:00:00Z') ? [1, 2, 3] : [4, 5, 6];
      return { status: 200, body: { metric: 'count', interval: '1h', tz: 'UTC', from: 'x', to: 'y', buckets_ms: buckets, series: [{ event_type: 'checkout', v }], freshness: { complete_up_to: null, lag_seconds: null }, sources: { hot_from: null } } };
    };
    const calls = stubApi(admin, noAlerts, catalog, series);
    renderApp(`/metrics?types=checkout&interval=1h&range=custom&from=2026-12-07T00%3A00%3A00Z&to=2026-12-07T03%3A00%3A00Z&tz=UTC&compare=previous`);
    await waitFor(() => expect(JSON.parse(screen.getByTestId('metrics-chart').dataset.previous ?? '')).toEqual([[1, 2, 3]]));
    expect(calls.some((c) => c.path === '/v1/metrics/series' && c.query.get('from') === '2026-12-06T21:00:00Z' && c.query.get('to') === '2026-12-07T00:00:00Z')).toBe(true);
  });

  it("works on the Overview's last hour, kept in its URL", async () => {
    const summary = (c: Call) =>
      c.path === '/v1/metrics/summary'
        ? { status: 200, body: { from: 'x', to: 'y', previous_from: 'x', previous_to: 'y', total: 3, previous_total: 1, change_pct: 200, event_types_seen: 1, unique_users_in_range: 1, top_types: [{ event_type: 'checkout', count: 3, previous_count: 1, change_pct: 200 }], freshness: { complete_up_to: null, lag_seconds: null } } }
        : undefined;
    const series = (c: Call) => {
      if (c.path !== '/v1/metrics/series') return undefined;
      const from = Date.parse(c.query.get('from') ?? '');
      const to = Date.parse(c.query.get('to') ?? '');
      const step = c.query.get('interval') === '1m' ? 60_000 : 3_600_000;
      const buckets = Array.from({ length: Math.round((to - from) / step) }, (_, i) => Math.floor(from / step) * step + i * step);
      // the hour before now answers 2 a minute, the last hour 7
      const v = buckets.map(() => (to < Date.now() - 30 * 60_000 ? 2 : 7));
      return { status: 200, body: { metric: 'count', interval: c.query.get('interval'), tz: 'UTC', from: 'x', to: 'y', buckets_ms: buckets, series: [{ event_type: 'checkout', v }], freshness: { complete_up_to: null, lag_seconds: null }, sources: { hot_from: null } } };
    };
    const calls = stubApi(admin, noAlerts, catalog, summary, series);
    renderApp('/?compare=previous');
    await waitFor(() => {
      const previous = JSON.parse(screen.getByTestId('overview-chart').dataset.previous ?? '[]') as (number | null)[][];
      expect(previous[0]?.filter((v) => v === 2).length).toBeGreaterThan(55);
    });
    const shifted = calls.filter((c) => c.path === '/v1/metrics/series' && c.query.get('interval') === '1m').map((c) => Date.parse(c.query.get('to') ?? '') - Date.parse(c.query.get('from') ?? ''));
    expect(new Set(shifted)).toEqual(new Set([3_600_000]));
    fireEvent.click(screen.getByTestId('chart-compare'));
    await waitFor(() => expect(JSON.parse(screen.getByTestId('overview-chart').dataset.previous ?? '')).toEqual([null]));
  });
});

describe('rollup marks in the catalog', () => {
  it('shows each mark with its state: active, backfilling, capped', async () => {
    stubApi(admin, noAlerts, catalog);
    renderApp('/catalog/checkout');
    const row = (name: string) => screen.getAllByTestId('catalog-property').find((r) => r.dataset.name === name) as HTMLElement;
    await screen.findByTestId('catalog-properties');
    expect(within(row('plan')).getByTestId('rollup-dimension-status').textContent).toContain('active');
    expect(within(row('amount')).getByTestId('rollup-measure-status').textContent).toContain('backfilling…');
    expect(within(row('session')).getByTestId('rollup-dimension-status').textContent).toContain('capped: answered from raw events');
    // a string property cannot be a measure
    await waitFor(() => expect((within(row('plan')).getByTestId('rollup-dimension') as HTMLInputElement).disabled).toBe(false));
    expect((within(row('plan')).getByTestId('rollup-measure') as HTMLInputElement).disabled).toBe(true);
    expect((within(row('amount')).getByTestId('rollup-measure') as HTMLInputElement).disabled).toBe(false);
  });

  it("shows a new mark's state once the API has it", async () => {
    const backfilling = { active_from: '2026-12-07T21:00:05Z', backfilled_at: null, capped_at: null };
    let detail = CHECKOUT;
    const marked = (c: Call) => {
      if (c.method === 'PUT' && c.path === '/v1/catalog/checkout/properties/amount/rollup') {
        const rollup = { dimension: backfilling, measure: CHECKOUT.properties[1]?.rollup?.measure ?? null };
        detail = { ...CHECKOUT, properties: CHECKOUT.properties.map((p) => (p.name === 'amount' ? { ...p, rollup } : p)) };
        return { status: 200, body: { event_type: 'checkout', property: 'amount', rollup } };
      }
      return c.path === '/v1/catalog/checkout' ? { status: 200, body: detail } : undefined;
    };
    stubApi(admin, noAlerts, marked, catalog);
    renderApp('/catalog/checkout');
    await screen.findByTestId('catalog-properties');
    const amount = screen.getAllByTestId('catalog-property').find((r) => r.dataset.name === 'amount') as HTMLElement;
    const box = within(amount).getByTestId('rollup-dimension') as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(within(amount).queryByTestId('rollup-dimension-status')).toBeNull();
    fireEvent.click(box);
    await waitFor(() => expect(within(amount).getByTestId('rollup-dimension-status').textContent).toContain('backfilling…'));
    expect(box.checked).toBe(true);
  });

  it('sends both marks on a change, and shows a cap refusal under the row', async () => {
    const put = (c: Call) =>
      c.method === 'PUT' ? { status: 422, body: { error: { code: 'too_many_rollups', message: 'checkout already has 5 breakdown dimensions', field: 'dimension' }, request_id: 'r', trace_id: 't' } } : undefined;
    const calls = stubApi(admin, noAlerts, put, catalog);
    renderApp('/catalog/checkout');
    await screen.findByTestId('catalog-properties');
    const amount = screen.getAllByTestId('catalog-property').find((r) => r.dataset.name === 'amount') as HTMLElement;
    const box = within(amount).getByTestId('rollup-dimension') as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    fireEvent.click(box);
    const error = await within(amount).findByTestId('inline-error');
    expect(error.textContent).toContain('too_many_rollups');
    expect(error.textContent).toContain('checkout already has 5 breakdown dimensions');
    const sent = calls.find((c) => c.method === 'PUT');
    expect(sent?.path).toBe('/v1/catalog/checkout/properties/amount/rollup');
    expect(sent?.body).toEqual({ dimension: true, measure: true });
    // refused: the box shows the stored state again
    expect(box.checked).toBe(false);
  });
});
