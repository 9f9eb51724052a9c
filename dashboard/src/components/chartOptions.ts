import uPlot from 'uplot';
import { formatCompact, formatNumber } from '../lib/format';

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#65a30d', '#9333ea', '#475569'];

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** Options for a time chart whose x values are epoch ms, drawn in `tz`. */
export function timeChartOptions(labels: string[], tz: string, width: number, height: number): uPlot.Options {
  return {
    width,
    height,
    ms: 1,
    tzDate: (ts) => uPlot.tzDate(new Date(ts), tz),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    scales: {
      x: { time: true },
      // Counts start at zero; a y axis that floats makes small changes look dramatic.
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
    },
    axes: [
      { stroke: '#475569', grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } },
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
      ...labels.map((label, i) => ({
        label,
        stroke: colorAt(i),
        width: 1.5,
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : formatNumber(v)),
      })),
    ],
  };
}
