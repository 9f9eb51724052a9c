import { describe, expect, it } from 'vitest';
import { alignToBuckets, denseSeries, orderByLabels, pageCount, pageIndicesNewestFirst, sumValues } from './series';

const B = [1000, 2000, 3000, 4000];

describe('alignToBuckets', () => {
  it('keeps a well-formed series as it is', () => {
    expect(alignToBuckets(B, [0, 5, 0, 7])).toEqual([0, 5, 0, 7]);
  });

  it('pads a short series with zeros and drops extra values', () => {
    expect(alignToBuckets(B, [1, 2])).toEqual([1, 2, 0, 0]);
    expect(alignToBuckets(B, [1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4]);
  });

  it('returns nothing when there are no buckets', () => {
    expect(alignToBuckets([], [3])).toEqual([]);
  });

  it('turns non-finite values into 0', () => {
    expect(alignToBuckets(B, [1, Number.NaN, Number.POSITIVE_INFINITY, 4])).toEqual([1, 0, 0, 4]);
  });

  it('keeps large counts exact', () => {
    expect(alignToBuckets([0], [9_007_199_254_740_991])).toEqual([9_007_199_254_740_991]);
  });

  it('sums a 43k-point month at 1m', () => {
    const buckets = Array.from({ length: 43_200 }, (_, i) => i * 60_000);
    const aligned = alignToBuckets(buckets, buckets.map((_, i) => (i % 3 === 0 ? 1 : 0)));
    expect(aligned).toHaveLength(43_200);
    expect(sumValues(aligned)).toBe(14_400);
  });
});

describe('denseSeries', () => {
  it('aligns every series in answer order', () => {
    const out = denseSeries({
      buckets_ms: [0, 60_000],
      series: [
        { event_type: 'b', v: [0, 2] },
        { event_type: 'a', v: [0, 0] },
      ],
    });
    expect(out).toEqual([
      { label: 'b', values: [0, 2] },
      { label: 'a', values: [0, 0] },
    ]);
  });
});

describe('table pages', () => {
  it('lists the newest bucket first', () => {
    expect(pageIndicesNewestFirst(5, 0, 2)).toEqual([4, 3]);
    expect(pageIndicesNewestFirst(5, 2, 2)).toEqual([0]);
    expect(pageIndicesNewestFirst(0, 0, 100)).toEqual([]);
  });

  it('has at least one page', () => {
    expect(pageCount(0, 100)).toBe(1);
    expect(pageCount(43_200, 100)).toBe(432);
    expect(pageCount(101, 100)).toBe(2);
  });
});

describe('orderByLabels', () => {
  it('follows the given order and keeps unknown labels last, in their order', () => {
    const s = [{ label: 'x' }, { label: 'b' }, { label: 'y' }, { label: 'a' }];
    expect(orderByLabels(s, ['a', 'b']).map((v) => v.label)).toEqual(['a', 'b', 'x', 'y']);
    expect(orderByLabels([], ['a'])).toEqual([]);
  });
});
