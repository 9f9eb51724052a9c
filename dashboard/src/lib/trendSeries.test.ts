import { describe, expect, it } from 'vitest';
import type { TrendSeries } from '../api/types';
import { PALETTE } from './colors';
import { breakdownColors, lineKey, OTHER_COLOR, trendChart } from './trendSeries';

const T0 = '2026-12-07T10:00:00Z';
const T1 = '2026-12-07T11:00:00Z';
const T2 = '2026-12-07T12:00:00Z';
const series = (key: TrendSeries['key'], label: string, points: [string, number | null][], total: number | null = null): TrendSeries => ({
  key,
  label,
  total,
  points: points.map(([bucket_start, value]) => ({ bucket_start, value })),
});

describe('trendChart', () => {
  it('draws one line per breakdown value over every bucket, in the answer order', () => {
    const chart = trendChart({
      type: 'checkout',
      breakdown: 'plan',
      series: [
        series('pro', 'pro', [[T0, 5], [T1, 7], [T2, 1]], 13),
        series(null, '(not set)', [[T1, 2]], 2),
        series('$other', 'Other', [[T0, 1], [T2, 0]], 1),
      ],
    });
    expect(chart.xs).toEqual([Date.parse(T0), Date.parse(T1), Date.parse(T2)]);
    expect(chart.lines).toEqual([
      { label: 'pro', key: 'pro', total: 13, values: [5, 7, 1] },
      { label: '(not set)', key: null, total: 2, values: [null, 2, null] },
      { label: 'Other', key: '$other', total: 1, values: [1, null, 0] },
    ]);
  });

  it('keeps a null value (an average of nothing) as a gap, not a zero', () => {
    const chart = trendChart({ type: 'checkout', breakdown: null, series: [series(null, 'all', [[T0, 2.5], [T1, null]])] });
    expect(chart.lines[0]?.values).toEqual([2.5, null]);
  });

  it("names the one line of a chart without breakdown after the type, so it takes the type's colour", () => {
    const chart = trendChart({ type: 'checkout', breakdown: null, series: [series(null, 'All events', [[T0, 1]])] });
    expect(chart.lines.map((l) => l.label)).toEqual(['checkout']);
  });

  it('gives labels that collide (the string "1" and the number 1) distinct names', () => {
    const chart = trendChart({ type: 't', breakdown: 'n', series: [series('1', '1', [[T0, 1]]), series(1, '1', [[T0, 2]]), series('', '', [[T0, 3]])] });
    expect(chart.lines.map((l) => l.label)).toEqual(['1', '1 (2)', '(empty)']);
    expect(new Set(chart.lines.map(lineKey)).size).toBe(3);
  });

  it('is empty without series', () => {
    expect(trendChart({ type: 't', breakdown: 'plan', series: [] })).toEqual({ xs: [], lines: [] });
  });
});

describe('breakdown colours', () => {
  it('hands out the palette by rank and slate to Other', () => {
    const { lines } = trendChart({
      type: 't',
      breakdown: 'plan',
      series: [series('pro', 'pro', [[T0, 3]]), series('$other', 'Other', [[T0, 1]]), series('free', 'free', [[T0, 2]])],
    });
    const color = breakdownColors(lines);
    expect(['pro', 'free', 'Other'].map(color)).toEqual([PALETTE[0], PALETTE[1], OTHER_COLOR]);
  });
});
