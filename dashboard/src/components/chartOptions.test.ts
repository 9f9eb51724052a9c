import { describe, expect, it } from 'vitest';
import { isMajorLogSplit, lastBucketMs, timeChartOptions } from './chartOptions';

describe('isMajorLogSplit', () => {
  it('keeps 0 and 1, 2, 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 5, 7, 10, 20, 30, 50, 100, 200, 500, 900].filter(isMajorLogSplit)).toEqual([0, 1, 2, 5, 10, 20, 50, 100, 200, 500]);
  });
});

describe('lastBucketMs', () => {
  it('is the last step, or a minute for a lone bucket', () => {
    expect(lastBucketMs([0, 60_000, 120_000])).toBe(60_000);
    expect(lastBucketMs([0, 3_600_000])).toBe(3_600_000);
    expect(lastBucketMs([5])).toBe(60_000);
  });
});

describe('timeChartOptions with the previous period', () => {
  const lines = [
    { label: 'pro', color: '#4e79a7', shown: true },
    { label: 'free', color: '#e8710a', shown: false },
  ];

  it('adds a dotted series per line in its colour, after its solid and "so far" ones', () => {
    const series = timeChartOptions(lines, 'UTC', { width: 400, height: 200 }, false, 0, true).series.slice(1);
    expect(series.map((s) => s.label)).toEqual(['pro', 'pro (so far)', 'pro (previous period)', 'free', 'free (so far)', 'free (previous period)']);
    const previous = series[2];
    expect([previous?.stroke, previous?.dash, previous?.cap, series[5]?.show]).toEqual(['#4e79a7', [0.5, 4], 'round', false]);
    expect(timeChartOptions(lines, 'UTC', { width: 400, height: 200 }, false).series).toHaveLength(5);
  });

  it('lets the y axis go below zero only for negative data (a sum of refunds)', () => {
    const y = timeChartOptions(lines, 'UTC', { width: 400, height: 200 }, false).scales?.y;
    const range = y?.range as (u: unknown, min: number, max: number) => [number, number];
    expect(range(null, 3, 100)).toEqual([0, 108]);
    expect(range(null, -50, 100)).toEqual([-54, 108]);
  });
});
