import { describe, expect, it } from 'vitest';
import { ruleChartPlan, thresholdLine, windowValues } from './ruleWindows';

const MIN = 60_000;

describe('ruleChartPlan', () => {
  it('sums minutes for counts, over enough minutes for 60 windows', () => {
    expect(ruleChartPlan('count', 300)).toEqual({ interval: '1m', perWindow: 5, spanMs: 64 * MIN });
    expect(ruleChartPlan('count', 60)).toEqual({ interval: '1m', perWindow: 1, spanMs: 60 * MIN });
  });

  it('draws unique users only where the window is a series interval', () => {
    expect(ruleChartPlan('unique_users', 3600)).toEqual({ interval: '1h', perWindow: 1, spanMs: 60 * 3_600_000 });
    expect(ruleChartPlan('unique_users', 900)).toBeNull();
  });

  it('refuses a window that is not whole minutes', () => {
    expect(ruleChartPlan('count', 90)).toBeNull();
  });
});

describe('windowValues', () => {
  it('sums each window ending at every minute, named by its end', () => {
    const buckets = [0, MIN, 2 * MIN, 3 * MIN];
    expect(windowValues(buckets, [1, 2, 3, 4], MIN, 2, 4)).toEqual({ endsMs: [2 * MIN, 3 * MIN, 4 * MIN], values: [3, 5, 7], partialFrom: 3 });
  });

  it('marks the windows that hold a minute still filling', () => {
    const buckets = [0, MIN, 2 * MIN, 3 * MIN];
    expect(windowValues(buckets, [1, 2, 3, 4], MIN, 2, 3).partialFrom).toBe(2);
    expect(windowValues(buckets, [1, 2, 3, 4], MIN, 1, 0).partialFrom).toBe(0);
  });

  it('gives nothing when there are fewer buckets than one window', () => {
    expect(windowValues([0], [5], MIN, 3, 1)).toEqual({ endsMs: [], values: [], partialFrom: 0 });
  });
});

describe('thresholdLine', () => {
  it('is the threshold of a threshold rule, and nothing for the others', () => {
    expect(thresholdLine({ kind: 'threshold', operator: 'above', value: 100 })).toEqual({ value: 100, label: 'threshold: above 100' });
    expect(thresholdLine({ kind: 'absence' })).toBeNull();
  });
});
