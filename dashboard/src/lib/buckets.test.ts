import { describe, expect, it } from 'vitest';
import { bucketEndMs, firstPartialIndex, seriesPartialFrom, splitAtPartial } from './buckets';

const MIN = 60_000;
// 14:34, 14:35, 14:36, 14:37 (as minutes from an arbitrary origin)
const B = [34 * MIN, 35 * MIN, 36 * MIN, 37 * MIN];

describe('firstPartialIndex', () => {
  it('marks the bucket that contains the watermark, not the one after it', () => {
    // complete up to 14:37:05: the 14:37 bucket is still filling although its start is before the mark
    expect(firstPartialIndex(B, MIN, 37 * MIN + 5_000, 37 * MIN + 30_000)).toBe(3);
  });

  it('marks every bucket after a lagging watermark', () => {
    expect(firstPartialIndex(B, MIN, 35 * MIN + 10_000, 37 * MIN + 30_000)).toBe(1);
  });

  it('treats a bucket that has not ended as partial even when the watermark is ahead', () => {
    expect(firstPartialIndex(B, MIN, 40 * MIN, 37 * MIN + 1)).toBe(3);
  });

  it('finds none when every bucket ended before the watermark and now', () => {
    expect(firstPartialIndex(B, MIN, 38 * MIN, 50 * MIN)).toBe(4);
  });

  it('with no watermark, only unfinished buckets are partial', () => {
    expect(firstPartialIndex(B, MIN, null, 36 * MIN + 1)).toBe(2);
  });

  it('uses the next start as the end, so a 23-hour DST day ends where the next begins', () => {
    const H = 3_600_000;
    const days = [0, 23 * H, 47 * H];
    expect(bucketEndMs(days, 0, 24 * H)).toBe(23 * H);
    expect(firstPartialIndex(days, 24 * H, 23 * H, 100 * H)).toBe(1);
  });

  it('is empty-safe', () => {
    expect(firstPartialIndex([], MIN, null, 0)).toBe(0);
  });
});

describe('splitAtPartial', () => {
  it('joins the dotted part to the last complete point', () => {
    expect(splitAtPartial([61, 58, 40], 2)).toEqual({ complete: [61, 58, null], partial: [null, 58, 40] });
  });

  it('draws everything solid when nothing is partial', () => {
    expect(splitAtPartial([1, 2], 2)).toEqual({ complete: [1, 2], partial: [null, null] });
  });

  it('draws everything dotted when everything is partial', () => {
    expect(splitAtPartial([1, 2], 0)).toEqual({ complete: [null, null], partial: [1, 2] });
  });
});

describe('seriesPartialFrom', () => {
  it('reads the interval and the watermark from the answer', () => {
    const data = { buckets_ms: B, interval: '1m' as const, freshness: { complete_up_to: new Date(36 * MIN + 1).toISOString(), lag_seconds: 1 } };
    expect(seriesPartialFrom(data, 37 * MIN + 30_000)).toBe(2);
  });
});
