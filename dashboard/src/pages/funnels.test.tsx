// @vitest-environment jsdom
// Issue 18: the Funnels page runs the query its URL holds, draws each step, and edits into a new URL.
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FunnelResponse } from '../api/types';
import { apiError, renderApp, sessionWith, stubApi, type Call, type Handler } from '../test/api';

const reader: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read']) } : undefined);
const quiet: Handler = (c) => (c.path === '/v1/alerts' ? { status: 200, body: { rules: [] } } : c.path === '/v1/catalog' ? { status: 200, body: { event_types: [] } } : undefined);

const step = (type: string, count: number, first: number, previous: number, median: number | null) => ({
  type,
  filters: [],
  count,
  conversion_from_first: first,
  conversion_from_previous: previous,
  median_seconds_from_previous: median,
});

const ANSWER: FunnelResponse = {
  start: '2026-11-07T12:00:00Z',
  end: '2026-12-07T12:00:00Z',
  window_seconds: 604800,
  breakdown: 'plan',
  steps: [step('signup', 200, 1, 1, null), step('view', 120, 0.6, 0.6, 90), step('checkout', 30, 0.15, 0.25, 7200)],
  breakdowns: [
    { key: 'pro', label: 'pro', steps: [step('signup', 150, 1, 1, null), step('view', 100, 2 / 3, 2 / 3, 80), step('checkout', 25, 1 / 6, 0.25, 7000)] },
    { key: '$other', label: 'Other', steps: [step('signup', 50, 1, 1, null), step('view', 20, 0.4, 0.4, 100), step('checkout', 5, 0.1, 0.25, 7300)] },
  ],
};
const funnel: Handler = (c) => (c.path === '/v1/insights/funnel' ? { status: 200, body: ANSWER } : undefined);

const URL_QUERY =
  '/funnels?' +
  new URLSearchParams([
    ['step', '{"type":"signup","filters":[{"property":"plan","op":"eq","value":"pro"}]}'],
    ['step', '{"type":"view"}'],
    ['step', '{"type":"checkout"}'],
    ['window', '604800'],
    ['range', '30d'],
    ['breakdown', 'plan'],
  ]).toString();

const funnelCalls = (calls: Call[]) => calls.filter((c) => c.path === '/v1/insights/funnel');

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the Funnels page', () => {
  it('is in the navigation and asks for steps before running anything', async () => {
    const calls = stubApi(reader, quiet, funnel);
    renderApp('/funnels');
    expect((await screen.findByRole('link', { name: 'Funnels' })).getAttribute('href')).toBe('/funnels');
    expect(await screen.findByTestId('state-empty')).toBeTruthy();
    expect(screen.getByTestId('funnel-problem').textContent).toBe('Step 1 needs an event type.');
    expect((screen.getByTestId('funnel-run') as HTMLButtonElement).disabled).toBe(true);
    expect(funnelCalls(calls)).toHaveLength(0);
  });

  it('runs the query in the URL and draws counts, conversion and median time per step', async () => {
    const calls = stubApi(reader, quiet, funnel);
    renderApp(URL_QUERY);
    expect((await screen.findByTestId('funnel-count-0')).textContent).toBe('200');
    expect(screen.getByTestId('funnel-count-2').textContent).toBe('30');
    expect(screen.getByTestId('funnel-conversion-1').textContent).toBe('60% of first · 60% of previous');
    expect(screen.getByTestId('funnel-conversion-2').textContent).toBe('15% of first · 25% of previous');
    expect(screen.getByTestId('funnel-median-1').textContent).toBe('median 1 min 30 s');
    expect(screen.getByTestId('funnel-median-2').textContent).toBe('median 2 h');
    const rows = screen.getAllByTestId('funnel-breakdown-row');
    expect(rows.map((r) => within(r).getAllByRole('cell')[0]?.textContent)).toEqual(['pro', 'Other']);
    const asked = funnelCalls(calls)[0];
    expect(asked?.query.getAll('step')).toEqual(['{"type":"signup","filters":[{"property":"plan","op":"eq","value":"pro"}]}', '{"type":"view"}', '{"type":"checkout"}']);
    expect([asked?.query.get('window'), asked?.query.get('breakdown'), asked?.query.get('limit')]).toEqual(['604800', 'plan', '10']);
    // the form shows the query it runs
    expect((screen.getByTestId('step-0-type') as HTMLInputElement).value).toBe('signup');
    expect((screen.getByTestId('step-0-filter-0-value') as HTMLInputElement).value).toBe('pro');
  });

  it('edits steps, filters and the window into a new URL and runs it', async () => {
    const calls = stubApi(reader, quiet, funnel);
    renderApp(URL_QUERY);
    await screen.findByTestId('funnel-count-0');
    fireEvent.click(screen.getByRole('button', { name: 'Remove step 2' }));
    fireEvent.click(screen.getByTestId('step-1-add-filter'));
    fireEvent.change(screen.getByTestId('step-1-filter-0-property'), { target: { value: 'amount' } });
    fireEvent.change(screen.getByTestId('step-1-filter-0-op'), { target: { value: 'gt' } });
    fireEvent.change(screen.getByTestId('step-1-filter-0-value'), { target: { value: 'lots' } });
    expect(screen.getByTestId('funnel-problem').textContent).toBe('Step 2: "amount" > needs a number.');
    fireEvent.change(screen.getByTestId('step-1-filter-0-value'), { target: { value: '100' } });
    fireEvent.change(screen.getByTestId('funnel-window'), { target: { value: '86400' } });
    fireEvent.click(screen.getByTestId('funnel-run'));
    await waitFor(() => expect(funnelCalls(calls)).toHaveLength(2));
    const asked = funnelCalls(calls)[1];
    expect(asked?.query.getAll('step')).toEqual([
      '{"type":"signup","filters":[{"property":"plan","op":"eq","value":"pro"}]}',
      '{"type":"checkout","filters":[{"property":"amount","op":"gt","value":100}]}',
    ]);
    expect(asked?.query.get('window')).toBe('86400');
  });

  it("shows the API's refusal with the field it names", async () => {
    stubApi(reader, quiet, (c) => (c.path === '/v1/insights/funnel' ? apiError(422, 'invalid_filter', "'step[0].filters[0].value' 'in' needs a non-empty array", 'step[0].filters[0].value') : undefined));
    renderApp(URL_QUERY);
    expect((await screen.findByTestId('error-code')).textContent).toBe('invalid_filter');
    expect(screen.getByTestId('state-error').textContent).toContain('step[0].filters[0].value');
  });
});
