import uPlot from 'uplot';
import { axisTimeLabels } from '../lib/chartTime';
import { formatCompact } from '../lib/format';

export interface ChartLine {
  label: string;
  color: string;
  shown: boolean;
}

/** uPlot series per line: complete, still filling, and (with the comparison on) the previous period. */
export function seriesPerLine(withPrevious: boolean): number {
  return withPrevious ? 3 : 2;
}

/**
 * Options for a time chart whose x values are epoch ms, drawn in `tz`. Each line is two uPlot series:
 * the complete buckets (solid) and the buckets that may still grow (dotted), see lib/buckets.ts.
 * `log` uses uPlot's arcsinh scale: log-like above 1, and unlike a true log scale it can draw a zero.
 */
export function timeChartOptions(
  lines: ChartLine[],
  tz: string,
  size: { width: number; height: number },
  log: boolean,
  /** A value the y axis must reach (a rule's threshold), whatever the data. */
  yAtLeast = 0,
  /** A third, dotted series per line: the previous period (lib/previousPeriod.ts). */
  withPrevious = false,
): uPlot.Options {
  const { width, height } = size;
  const top = (max: number, pad: number) => {
    const m = Math.max(max, yAtLeast);
    return m > 0 ? m * pad : 1;
  };
  // A sum or a minimum can be negative (refunds); counts never are, and their axis stays at zero.
  const bottom = (min: number, pad: number) => (Number.isFinite(min) && min < 0 ? min * pad : 0);
  return {
    width,
    height,
    ms: 1,
    tzDate: (ts) => uPlot.tzDate(new Date(ts), tz),
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { size: 7 } },
    scales: {
      // Up to the end of the newest bucket, not its start: the bucket still filling gets room to be shaded.
      x: { time: true, range: (u, min, max) => [min, max + lastBucketMs(u.data[0] as number[] | undefined)] },
      // Counts start at zero; a y axis that floats makes small changes look dramatic.
      y: log
        ? { distr: 4, asinh: 1, range: (_u, min, max) => [bottom(min, 1.3), top(max, 1.3)] }
        : { range: (_u, min, max) => [bottom(min, 1.08), top(max, 1.08)] },
    },
    axes: [
      {
        stroke: '#475569',
        grid: { stroke: '#e2e8f0', width: 1 },
        ticks: { stroke: '#cbd5e1', width: 1 },
        size: 44,
        values: (_u, splits, _axis, _space, incr) => axisTimeLabels(splits, incr, tz),
      },
      {
        stroke: '#475569',
        size: 56,
        // an explicit `filter: undefined` would replace uPlot's default filter, so the key is only set for log
        grid: { stroke: '#e2e8f0', width: 1, ...(log ? { filter: majorLogSplits } : {}) },
        ticks: { stroke: '#cbd5e1', width: 1, ...(log ? { filter: majorLogSplits } : {}) },
        // a log scale's minor splits come as null (and its range may reach below 0): unlabelled, not dashes
        values: (_u, splits) => splits.map((v) => (v === null || v === undefined || v < 0 ? '' : formatCompact(v))),
      },
    ],
    series: [
      { label: `Time (${tz})` },
      ...lines.flatMap((line) => [
        { label: line.label, stroke: line.color, width: 1.75, show: line.shown, points: { show: false } },
        { label: `${line.label} (so far)`, stroke: line.color, width: 1.75, dash: [3, 4], show: line.shown, points: { show: false } },
        // dots, not dashes: apart from the "so far" dash at a glance, in the line's own colour
        ...(withPrevious
          ? [{ label: `${line.label} (previous period)`, stroke: line.color, width: 1.75, dash: [0.5, 4], cap: 'round' as const, show: line.shown, points: { show: false } }]
          : []),
      ]),
    ],
  };
}

/** The width of the newest bucket, from the last two starts; a lone bucket is taken as a minute. */
export function lastBucketMs(xs: readonly number[] | undefined): number {
  if (!xs || xs.length < 2) return 60_000;
  return (xs[xs.length - 1] as number) - (xs[xs.length - 2] as number);
}

/** On a log scale, lines only at 0 and at 1, 2 and 5 times a power of ten: the labelled splits. */
export function majorLogSplits(_u: uPlot, splits: number[]): (number | null)[] {
  return splits.map((v) => (isMajorLogSplit(v) ? v : null));
}

export function isMajorLogSplit(v: number): boolean {
  if (v === 0) return true;
  if (!(v > 0)) return false;
  const mantissa = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  return mantissa === 1 || mantissa === 2 || mantissa === 5;
}
