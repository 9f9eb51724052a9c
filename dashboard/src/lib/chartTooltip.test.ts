import { describe, expect, it } from 'vitest';
import { tooltipLeft, tooltipModel } from './chartTooltip';

const XS = [Date.parse('2026-12-07T14:36:00Z'), Date.parse('2026-12-07T14:37:00Z')];
const LINES = [
  { label: 'signup', color: 'red', values: [61, 40], shown: true },
  { label: 'checkout', color: 'blue', values: [70, 3], shown: true },
  { label: 'hidden', color: 'green', values: [999, 999], shown: false },
];

describe('tooltipModel', () => {
  it('lists the shown types at the bucket, largest first, in the one time format', () => {
    expect(tooltipModel(0, XS, LINES, 1, 'UTC')).toEqual({
      title: '2026-12-07 14:36:00',
      partial: false,
      rows: [
        { label: 'checkout', color: 'blue', value: '70' },
        { label: 'signup', color: 'red', value: '61' },
      ],
    });
  });

  it('says "so far" for a bucket that is still filling', () => {
    const model = tooltipModel(1, XS, LINES, 1, 'UTC');
    expect(model?.partial).toBe(true);
    expect(model?.title).toBe('2026-12-07 14:37:00 (still filling)');
    expect(model?.rows.map((r) => r.value)).toEqual(['40 so far', '3 so far']);
  });

  it('shows the previous period and the change beside each value', () => {
    const lines = [
      { label: 'signup', color: 'red', values: [60, 40], shown: true, previous: [50, 80] },
      { label: 'checkout', color: 'blue', values: [null, 3], shown: true, previous: [4, null] },
    ];
    expect(tooltipModel(0, XS, lines, 1, 'UTC')?.rows).toEqual([
      { label: 'signup', color: 'red', value: '60', previous: '50', change: '+20.0%' },
      { label: 'checkout', color: 'blue', value: '—', previous: '4', change: '' },
    ]);
    // the bucket still filling shows both values but no change: it has not finished growing
    expect(tooltipModel(1, XS, lines, 1, 'UTC')?.rows[0]).toEqual({ label: 'signup', color: 'red', value: '40 so far', previous: '80', change: '' });
  });

  it('is nothing off the data', () => {
    expect(tooltipModel(5, XS, LINES, 1, 'UTC')).toBeNull();
  });
});

describe('tooltipLeft', () => {
  it('sits right of the cursor, and flips left near the right edge', () => {
    expect(tooltipLeft(100, 150, 800)).toBe(114);
    expect(tooltipLeft(700, 150, 800)).toBe(536);
    expect(tooltipLeft(50, 900, 800)).toBe(0);
  });
});
