// @vitest-environment jsdom
// Issue 17: what the pages say about firing alerts, notifications, catalog times and titles.
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertHistoryEntry, CatalogItem } from '../api/types';
import { hashColor, PALETTE } from '../lib/colors';
import { DETAILS, HISTORY, R1, SUMMARY } from '../test/alertFixtures';
import { renderApp, sessionWith, stubApi, type Handler } from '../test/api';

const reader: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read']) } : undefined);
const alerts: Handler = (c) => (c.path === '/v1/alerts' ? { status: 200, body: { rules: SUMMARY } } : undefined);
const quiet: Handler = (c) => (c.path === '/v1/alerts' ? { status: 200, body: { rules: [{ ...SUMMARY[1] }] } } : undefined);
const freshness = { complete_up_to: '2026-12-07T14:37:05Z', lag_seconds: 1.5 };
const summary: Handler = (c) =>
  c.path === '/v1/metrics/summary'
    ? {
        status: 200,
        body: {
          from: 'x', to: 'y', previous_from: 'x', previous_to: 'y', total: 30, previous_total: 10, change_pct: 200, event_types_seen: 2, unique_users_in_range: 12,
          top_types: [
            { event_type: 'checkout', count: 20, previous_count: 5, change_pct: 300 },
            { event_type: 'error_raised', count: 10, previous_count: 5, change_pct: 100 },
          ],
          freshness,
        },
      }
    : undefined;
const series: Handler = (c) => {
  if (c.path !== '/v1/metrics/series') return undefined;
  const types = (c.query.get('types') ?? '').split(',');
  const buckets = [Date.parse('2026-12-07T12:00:00Z'), Date.parse('2026-12-07T13:00:00Z'), Date.parse('2026-12-07T14:00:00Z')];
  return {
    status: 200,
    body: { metric: 'count', interval: c.query.get('interval'), tz: 'UTC', from: 'x', to: 'y', buckets_ms: buckets, series: types.map((t) => ({ event_type: t, v: [61, 58, 40] })), freshness, sources: { hot_from: null } },
  };
};

// uPlot draws on a canvas, which jsdom has not got: the chart itself is checked in Chromium (e2e/).
vi.mock('../components/Chart', () => ({
  Chart: (props: { testId?: string; partialFrom: number; xs: number[] }) => (
    <div data-testid={props.testId} data-partial-from={props.partialFrom} data-points={props.xs.length} />
  ),
}));

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('a firing alert', () => {
  it('shows as a badge in the navigation, in the title, and as a banner on Overview', async () => {
    stubApi(reader, alerts, summary, series);
    renderApp('/');
    const badge = await screen.findByTestId('nav-firing');
    expect(badge.textContent).toBe('1 firing');
    const banner = await screen.findByTestId('firing-banner');
    expect(banner.textContent).toContain('1 alert firing');
    expect(within(banner).getByRole('link', { name: 'Checkout spike' }).getAttribute('href')).toBe(`/alerts/${R1}`);
    await waitFor(() => expect(document.title).toBe('(1 firing) Overview · CustomerSignal'));
  });

  it('shows nothing when no rule fires', async () => {
    stubApi(reader, quiet, summary, series);
    renderApp('/');
    await screen.findByTestId('top-types');
    expect(screen.queryByTestId('nav-firing')).toBeNull();
    expect(screen.queryByTestId('firing-banner')).toBeNull();
    await waitFor(() => expect(document.title).toBe('Overview · CustomerSignal'));
  });
});

describe('the Overview table', () => {
  const seen = (name: string, at: string) => ({ name, first_seen_at: at });
  // error_raised was received first, so it has the first palette colour though checkout tops the table.
  const catalog: Handler = (c) =>
    c.path === '/v1/catalog' ? { status: 200, body: { event_types: [seen('checkout', '2026-12-02T00:00:00Z'), seen('error_raised', '2026-12-01T00:00:00Z')] } } : undefined;
  const swatches = () => screen.getAllByTestId('top-type-row').map((r) => within(r).getByTestId('type-swatch').dataset.color);

  it('gives every type its own colour, and draws the filling hour of each sparkline dotted', async () => {
    stubApi(reader, quiet, catalog, summary, series);
    renderApp('/');
    await waitFor(() => expect(swatches()).toEqual([PALETTE[1], PALETTE[0]]));
    await waitFor(() => expect(screen.getAllByTestId('sparkline-partial')).toHaveLength(2));
    expect(screen.getAllByRole('img')[0]?.getAttribute('aria-label')).toContain('so far: 40');
  });

  it('colours types by their names while the catalog is unavailable', async () => {
    stubApi(reader, quiet, summary, series);
    renderApp('/');
    await waitFor(() => expect(swatches()).toEqual([hashColor('checkout'), hashColor('error_raised')]));
  });
});

describe('an alert rule page', () => {
  const noChannels: AlertHistoryEntry = { ...(HISTORY[1] as AlertHistoryEntry), id: 10, notification_outcome: 'no_channels', deliveries: [] };
  const history: Handler = (c) => (c.path === `/v1/alerts/${R1}/history` ? { status: 200, body: { history: [noChannels, ...HISTORY], next_cursor: null } } : undefined);
  const rule: Handler = (c) => (c.path === `/v1/alerts/${R1}` ? { status: 200, body: DETAILS[R1] } : undefined);

  it('says a notification with nothing delivered was not sent, and keeps "(now 3)" together', async () => {
    stubApi(reader, alerts, rule, history, series);
    renderApp(`/alerts/${R1}`);
    const rows = await screen.findAllByTestId('history-row');
    expect(rows.map((r) => within(r).getByTestId('history-notification').textContent)).toEqual(['not sent: no channels', 'suppressed', 'sent']);
    const breaches = screen.getByTestId('alert-detail-breaches');
    expect(breaches.textContent).toBe('(now 3)');
    expect(breaches.className).toBe('nowrap');
  });

  it('asks for the minutes behind its last 60 five-minute windows, and draws them', async () => {
    const calls = stubApi(reader, alerts, rule, history, series);
    renderApp(`/alerts/${R1}`);
    await screen.findByTestId('rule-chart-card');
    await waitFor(() => expect(calls.some((c) => c.path === '/v1/metrics/series')).toBe(true));
    const call = calls.find((c) => c.path === '/v1/metrics/series');
    expect(call?.query.get('types')).toBe('checkout');
    expect(call?.query.get('interval')).toBe('1m');
    const span = Date.parse(call?.query.get('to') ?? '') - Date.parse(call?.query.get('from') ?? '');
    expect(span).toBe(64 * 60_000);
    // three minutes answered: fewer than one five-minute window, so no point yet
    expect((await screen.findByTestId('rule-chart')).dataset.points).toBe('0');
  });
});

describe('the catalog', () => {
  const item: CatalogItem = {
    name: 'imported', status: 'unplanned', description: '', owner: null, volume_total: 3, property_count: 0,
    first_seen_at: '2026-12-07T14:00:00Z', last_seen_at: '2026-12-07T14:00:00Z',
    first_event_at: '2026-12-07T12:00:00Z', last_event_at: '2026-12-07T12:30:00Z',
  };
  const catalog: Handler = (c) => (c.path === '/v1/catalog' ? { status: 200, body: { event_types: [item] } } : undefined);

  it('shows event time and receive time, each labelled', async () => {
    stubApi(reader, quiet, catalog, summary);
    renderApp('/catalog');
    const row = await screen.findByTestId('catalog-row');
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent ?? '');
    expect(headers.some((h) => h.startsWith('First event ('))).toBe(true);
    expect(headers.some((h) => h.startsWith('Last received ('))).toBe(true);
    expect(within(row).getByTestId('catalog-first-event').querySelector('time')?.getAttribute('datetime')).toBe('2026-12-07T12:00:00Z');
    expect(within(row).getByTestId('catalog-last-received').querySelector('time')?.getAttribute('datetime')).toBe('2026-12-07T14:00:00Z');
    expect(await screen.findByTestId('freshness-text')).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Catalog · CustomerSignal'));
  });
});
