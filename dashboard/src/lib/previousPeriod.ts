import type { Interval } from '../api/types';
import { INTERVALS, resolveRange, type RangeSpec } from './range';

/**
 * The previous period of a chart: the same query over the range shifted back by its own length (a
 * preset's length, or a custom range's to − from), drawn against the current buckets by offset.
 */

/** How far back the previous period lies: the range's own length. */
export function previousShiftMs(range: RangeSpec, nowMs: number): number {
  const { fromMs, toMs } = resolveRange(range, nowMs);
  return Math.max(0, toMs - fromMs);
}

export function intervalMs(interval: Interval): number {
  return INTERVALS.find((i) => i.value === interval)?.ms ?? 3_600_000;
}

/** Index of the start in sorted `xs` nearest to `target`; on a tie, the earlier one. -1 when empty. */
function nearestIndex(xs: readonly number[], target: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  // xs[lo] is the first start >= target; xs[lo - 1] the last one below it
  if (lo === xs.length) return xs.length - 1;
  if (lo === 0) return 0;
  return target - (xs[lo - 1] as number) <= (xs[lo] as number) - target ? lo - 1 : lo;
}

/**
 * The previous period's values at the current buckets: bucket x takes the previous bucket whose start
 * is nearest to x − shift, if that is less than half a bucket away, else null (nothing to compare).
 * Nearest rather than exact: day buckets in a zone with DST start an hour apart across the change (a
 * local midnight in November, 30 × 24 h after one in October, lands an hour off), and the same local
 * day is still the bucket to compare with.
 */
export function alignPrevious(
  currentXs: readonly number[],
  previousXs: readonly number[],
  previousValues: readonly (number | null)[],
  shiftMs: number,
  widthMs: number,
): (number | null)[] {
  return currentXs.map((x) => {
    const i = nearestIndex(previousXs, x - shiftMs);
    if (i < 0 || Math.abs((previousXs[i] as number) - (x - shiftMs)) >= widthMs / 2) return null;
    return previousValues[i] ?? null;
  });
}

/** Change from the previous value, as a fraction (0.25 = +25 %); null when there is nothing to divide by. */
export function changeRatio(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

export interface Line {
  label: string;
  values: (number | null)[];
}

/**
 * Each current line with its previous period (`previous`, aligned to `xs`), matched by `keyOf`: a line
 * the previous period lacks compares with nothing (nulls). Until the previous answer is there the lines
 * come back as they are, and the chart draws no comparison rather than an empty one.
 */
export function attachPrevious<L extends Line>(
  xs: readonly number[],
  lines: readonly L[],
  previous: { xs: readonly number[]; lines: readonly L[] } | undefined,
  shiftMs: number,
  widthMs: number,
  keyOf: (line: L) => string = (line) => line.label,
): (L & { previous?: (number | null)[] })[] {
  if (!previous) return [...lines];
  const byKey = new Map(previous.lines.map((l) => [keyOf(l), l]));
  return lines.map((line) => {
    const before = byKey.get(keyOf(line));
    return { ...line, previous: before ? alignPrevious(xs, previous.xs, before.values, shiftMs, widthMs) : xs.map(() => null) };
  });
}
