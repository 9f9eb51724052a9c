import { describe, expect, it } from 'vitest';
import { isMajorLogSplit, lastBucketMs } from './chartOptions';

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
