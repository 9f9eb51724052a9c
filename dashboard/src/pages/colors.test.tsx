// @vitest-environment jsdom
// One colour per type on every page: the catalog's first-seen order picks it, and the table, the chart's
// legend, its lines and the catalog's swatches all show the same one.
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type uPlot from 'uplot';
import { PALETTE } from '../lib/colors';
import { renderApp, sessionWith, stubApi, type Handler } from '../test/api';

// jsdom has no canvas; the real Chart, legend and options run, and the plot records what it was given.
const plots = vi.hoisted(() => [] as uPlot.Options[]);
vi.mock('uplot', () => ({
  default: class {
    series: uPlot.Series[];
    width = 600;
    constructor(options: uPlot.Options) {
      plots.push(options);
      this.series = options.series;
    }
    setData() {}
    setSeries() {}
    setSize() {}
    destroy() {}
  },
}));

// The demo's types that used to share a teal: search and add_to_cart, and signup in a near blue.
const FIRST_SEEN = ['search', 'add_to_cart', 'signup'];
const item = (name: string, i: number) => ({
  name, status: 'unplanned', description: '', owner: null,
  first_seen_at: `2026-12-0${i + 1}T10:00:00Z`, last_seen_at: '2026-12-07T14:00:00Z',
  first_event_at: null, last_event_at: null, volume_total: 10, property_count: 0,
});
// The API lists the catalog by last_seen_at; the order here must not matter.
const catalog: Handler = (c) =>
  c.path === '/v1/catalog' ? { status: 200, body: { event_types: [...FIRST_SEEN.map(item)].reverse() } } : undefined;
const reader: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read']) } : undefined);
const noAlerts: Handler = (c) => (c.path === '/v1/alerts' ? { status: 200, body: { rules: [] } } : undefined);
const freshness = { complete_up_to: '2026-12-07T14:37:05Z', lag_seconds: 1.5 };
const summary: Handler = (c) =>
  c.path === '/v1/metrics/summary'
    ? {
        status: 200,
        body: {
          from: 'x', to: 'y', previous_from: 'x', previous_to: 'y', total: 60, previous_total: 60, change_pct: 0, event_types_seen: 3, unique_users_in_range: 7,
          top_types: ['signup', 'search', 'add_to_cart'].map((t) => ({ event_type: t, count: 20, previous_count: 20, change_pct: 0 })),
          freshness,
        },
      }
    : undefined;
const series: Handler = (c) => {
  if (c.path !== '/v1/metrics/series') return undefined;
  const types = (c.query.get('types') ?? '').split(',');
  const buckets = [Date.parse('2026-12-07T12:00:00Z'), Date.parse('2026-12-07T13:00:00Z')];
  return {
    status: 200,
    body: { metric: 'count', interval: c.query.get('interval'), tz: 'UTC', from: 'x', to: 'y', buckets_ms: buckets, series: types.map((t) => ({ event_type: t, v: [3, 4] })), freshness, sources: { hot_from: null } },
  };
};

/** A colour as the browser keeps it, so '#4e79a7' and 'rgb(78, 121, 167)' compare equal. */
function css(colour: string): string {
  const probe = document.createElement('span');
  probe.style.color = colour;
  return probe.style.color;
}

const expected = new Map(FIRST_SEEN.map((t, i) => [t, css(PALETTE[i] as string)]));

beforeEach(() => {
  sessionStorage.clear();
  plots.length = 0;
  vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('type colours', () => {
  it('agree between the Overview table, its sparklines, the chart legend and the chart lines', async () => {
    stubApi(reader, noAlerts, catalog, summary, series);
    renderApp('/');
    const rowOf = (type: string) => screen.getAllByTestId('top-type-row').find((r) => r.dataset.eventType === type) as HTMLElement;
    const swatchOf = (type: string) => within(rowOf(type)).getByTestId('type-swatch');
    const legendOf = (type: string) => screen.getAllByTestId('legend-item').find((b) => b.dataset.label === type)?.querySelector('.swatch') as HTMLElement;
    await waitFor(() => {
      for (const [type, colour] of expected) {
        expect(css(swatchOf(type).dataset.color ?? '')).toBe(colour);
        expect(legendOf(type).style.borderColor).toBe(colour);
      }
    });
    expect(new Set(expected.values()).size).toBe(3);
    // The plot built last is the one on screen: each type's solid and dotted line.
    await waitFor(() => {
      const strokes = (plots.at(-1)?.series ?? []).slice(1).map((s) => css(String(s.stroke)));
      expect(strokes).toEqual(['signup', 'signup', 'search', 'search', 'add_to_cart', 'add_to_cart'].map((t) => expected.get(t)));
    });
    await waitFor(() => {
      for (const [type, colour] of expected) expect(css(within(rowOf(type)).getByRole('img').querySelector('polyline')?.getAttribute('stroke') ?? '')).toBe(colour);
    });
  });

  it('are the same swatches in the catalog', async () => {
    stubApi(reader, noAlerts, catalog, summary);
    renderApp('/catalog');
    await waitFor(() => {
      for (const row of screen.getAllByTestId('catalog-row')) {
        const name = row.querySelector('.nowrap')?.textContent ?? '';
        expect((row.querySelector('.swatch') as HTMLElement).style.background, name).toBe(expected.get(name));
      }
    });
    expect(screen.getAllByTestId('catalog-row')).toHaveLength(3);
  });
});
