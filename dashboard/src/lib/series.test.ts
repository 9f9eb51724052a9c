import { describe, expect, it } from 'vitest';
import { densify, denseSeries, orderByLabels, pageCount, pageIndicesNewestFirst, sumValues } from './series';

const B = [1000, 2000, 3000, 4000];

describe('densify', () => {
  it('fills absent buckets with 0', () => {
    expect(densify(B, [2000, 4000], [5, 7])).toEqual([0, 5, 0, 7]);
  });

  it('returns zeros for an empty series', () => {
    expect(densify(B, [], [])).toEqual([0, 0, 0, 0]);
  });

  it('returns nothing when there are no buckets', () => {
    expect(densify([], [1000], [3])).toEqual([]);
  });

  it('ignores values whose time is not a bucket start', () => {
    expect(densify(B, [1500, 3000, 9000], [100, 2, 100])).toEqual([0, 0, 2, 0]);
  });

  it('does not depend on the order of the sparse points', () => {
    expect(densify(B, [4000, 1000], [4, 1])).toEqual([1, 0, 0, 4]);
  });

  it('ignores a time without a value (mismatched lengths) and non-finite values', () => {
    expect(densify(B, [1000, 2000, 3000], [1, Number.NaN])).toEqual([1, 0, 0, 0]);
  });

  it('keeps large counts exact', () => {
    expect(densify([0], [0], [9_007_199_254_740_991])).toEqual([9_007_199_254_740_991]);
  });

  it('handles a 43k-point month at 1m quickly', () => {
    const buckets = Array.from({ length: 43_200 }, (_, i) => i * 60_000);
    const t = buckets.filter((_, i) => i % 3 === 0);
    const start = performance.now();
    const dense = densify(buckets, t, t.map(() => 1));
    expect(performance.now() - start).toBeLessThan(200);
    expect(dense).toHaveLength(43_200);
    expect(sumValues(dense)).toBe(14_400);
  });
});

describe('denseSeries', () => {
  it('densifies every series in answer order', () => {
    const out = denseSeries({
      buckets_ms: [0, 60_000],
      series: [
        { event_type: 'b', t_ms: [60_000], v: [2] },
        { event_type: 'a', t_ms: [], v: [] },
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
