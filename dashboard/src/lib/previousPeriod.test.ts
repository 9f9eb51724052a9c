import { describe, expect, it } from 'vitest';
import { alignPrevious, attachPrevious, changeRatio, previousShiftMs } from './previousPeriod';
import { formatDateTime, fromZonedInputValue } from './time';

const H = 3_600_000;
const DAY = 24 * H;
const PARIS = 'Europe/Paris';

/** Local midnights in the zone from `first` on, as the API starts day buckets in a zone. */
function localDays(first: string, count: number, tz: string): number[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => fromZonedInputValue(new Date(start + i * DAY).toISOString().slice(0, 16), tz) as number);
}
const localDate = (ms: number) => formatDateTime(ms, PARIS).slice(0, 10);

describe('previous period shift', () => {
  it("is the range's own length", () => {
    expect(previousShiftMs({ kind: 'preset', preset: '7d' }, Date.parse('2026-12-07T12:00:00Z'))).toBe(7 * DAY);
    expect(previousShiftMs({ kind: 'custom', from: '2026-12-01T00:00:00Z', to: '2026-12-01T01:30:00Z' }, 0)).toBe(1.5 * H);
    expect(previousShiftMs({ kind: 'custom', from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, 0)).toBe(0);
  });
});

describe('aligning the previous period by offset', () => {
  it('matches each bucket with the one exactly a period before', () => {
    const xs = [10 * H, 11 * H, 12 * H];
    const before = [7 * H, 8 * H, 9 * H];
    expect(alignPrevious(xs, before, [1, 2, 3], 3 * H, H)).toEqual([1, 2, 3]);
  });

  it('leaves null where the previous period has no bucket (or a null value)', () => {
    expect(alignPrevious([10 * H, 11 * H, 12 * H], [8 * H, 9 * H], [5, null], 3 * H, H)).toEqual([null, 5, null]);
    expect(alignPrevious([10 * H], [], [], 3 * H, H)).toEqual([null]);
  });

  it('does not match a bucket half a bucket or more away', () => {
    expect(alignPrevious([10 * H], [6.5 * H], [1], 3 * H, H)).toEqual([null]);
    expect(alignPrevious([10 * H], [6.6 * H], [1], 3 * H, H)).toEqual([1]);
  });

  it('compares day buckets with the same local day across the autumn DST change (Paris, 30 days)', () => {
    const current = localDays('2026-11-01', 30, PARIS); // CET
    const previous = localDays('2026-10-02', 30, PARIS); // CEST until 25 October, then CET
    const values = previous.map((ms) => Number(localDate(ms).slice(8, 10))); // day of month
    const aligned = alignPrevious(current, previous, values, 30 * DAY, DAY);
    // 1 November - 30 days = 2 October, ..., 10 November - 30 days = 11 October, 30 November -> 31 October
    expect(aligned).toEqual(current.map((ms) => Number(localDate(ms - 30 * DAY + 12 * H).slice(8, 10))));
    expect(aligned[9]).toBe(11);
    expect(aligned[29]).toBe(31);
  });

  it('and across the spring change (Paris, 30 days: 10 April compares with 11 March)', () => {
    const current = localDays('2026-04-01', 30, PARIS); // CEST
    const previous = localDays('2026-03-02', 30, PARIS); // CET until 29 March
    const aligned = alignPrevious(current, previous, previous.map((ms) => localDate(ms) as never), 30 * DAY, DAY) as unknown as string[];
    expect(aligned[9]).toBe('2026-03-11');
    expect(aligned[0]).toBe('2026-03-02');
    expect(aligned.every((d) => d !== null)).toBe(true);
  });

  it('over a DST night, hour buckets compare by elapsed time (the same UTC hour a day before)', () => {
    // 25 October 2026, Paris: 02:00-03:00 happens twice; hour buckets are UTC hours either side
    const xs = [Date.parse('2026-10-25T00:00:00Z'), Date.parse('2026-10-25T01:00:00Z'), Date.parse('2026-10-25T02:00:00Z')];
    const before = xs.map((x) => x - DAY);
    expect(alignPrevious(xs, before, [1, 2, 3], DAY, H)).toEqual([1, 2, 3]);
  });
});

describe('attaching the previous period to lines', () => {
  const xs = [2 * H, 3 * H];
  const lines = [
    { label: 'pro', values: [5, 6] },
    { label: 'free', values: [1, 2] },
  ];

  it('matches lines by key and aligns them', () => {
    const before = { xs: [0, H], lines: [{ label: 'free', values: [9, 8] }] };
    expect(attachPrevious(xs, lines, before, 2 * H, H)).toEqual([
      { label: 'pro', values: [5, 6], previous: [null, null] },
      { label: 'free', values: [1, 2], previous: [9, 8] },
    ]);
  });

  it('leaves lines without `previous` until the previous answer is there', () => {
    expect(attachPrevious(xs, lines, undefined, 2 * H, H)).toEqual(lines);
  });
});

describe('change from the previous period', () => {
  it('is a fraction of the previous value, or null with nothing to divide by', () => {
    expect(changeRatio(120, 100)).toBeCloseTo(0.2);
    expect(changeRatio(50, 100)).toBeCloseTo(-0.5);
    expect(changeRatio(-5, -10)).toBeCloseTo(0.5);
    expect(changeRatio(3, 0)).toBeNull();
    expect(changeRatio(null, 3)).toBeNull();
    expect(changeRatio(3, null)).toBeNull();
  });
});
