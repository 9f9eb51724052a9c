import uPlot from 'uplot';
import { axisTimeLabels } from '../lib/chartTime';
import { formatCompact } from '../lib/format';

export interface ChartLine {
  label: string;
  color: string;
  shown: boolean;
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
): uPlot.Options {
  const { width, height } = size;
  const top = (max: number, pad: number) => {
    const m = Math.max(max, yAtLeast);
    return m > 0 ? m * pad : 1;
  };
  return {
    width,
    height,
    ms: 1,
    tzDate: (ts) => uPlot.tzDate(new Date(ts), tz),
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { size: 7 } },
    scales: {
      x: { time: true },
      // Counts start at zero; a y axis that floats makes small changes look dramatic.
      y: log ? { distr: 4, asinh: 1, range: (_u, _min, max) => [0, top(max, 1.3)] } : { range: (_u, _min, max) => [0, top(max, 1.08)] },
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
        grid: { stroke: '#e2e8f0', width: 1 },
        ticks: { stroke: '#cbd5e1', width: 1 },
        values: (_u, splits) => splits.map((v) => formatCompact(v)),
      },
    ],
    series: [
      { label: `Time (${tz})` },
      ...lines.flatMap((line) => [
        { label: line.label, stroke: line.color, width: 1.75, show: line.shown, points: { show: false } },
        { label: `${line.label} (so far)`, stroke: line.color, width: 1.75, dash: [3, 4], show: line.shown, points: { show: false } },
      ]),
    ],
  };
}
