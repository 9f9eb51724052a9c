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
