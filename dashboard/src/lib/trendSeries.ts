import type { JsonValue, TrendResponse } from '../api/types';
import { PALETTE } from './colors';

/** The API's key of the "every other value" series. */
export const OTHER_KEY = '$other';
/** "Other" is a remainder, not a value: a quiet slate that reads on white (4.8:1). */
export const OTHER_COLOR = '#64748b';

export interface TrendLine {
  /** Unique among the chart's lines: the chart, legend and colours key on it. */
  label: string;
  key: JsonValue;
  total: number | null;
  values: (number | null)[];
}

export interface TrendChart {
  /** Bucket starts, epoch ms, ascending: every bucket any series has. */
  xs: number[];
  lines: TrendLine[];
}

function uniqueLabels(labels: readonly string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    let candidate = label === '' ? '(empty)' : label;
    for (let n = 2; used.has(candidate); n++) candidate = `${label} (${n})`;
    used.add(candidate);
    return candidate;
  });
}

/**
 * A trend answer as lines over one time axis, in the answer's order (total desc, "Other" last). Every
 * line gets a value per bucket: one the series lacks is null, drawn as a gap, never as a zero that was
 * not measured. Without a breakdown the one line is named after the event type, so it takes the type's
 * colour as on every other chart.
 */
export function trendChart(response: Pick<TrendResponse, 'type' | 'breakdown' | 'series'>): TrendChart {
  const starts = new Set<number>();
  for (const s of response.series) for (const p of s.points) starts.add(Date.parse(p.bucket_start));
  const xs = [...starts].filter(Number.isFinite).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const names = response.breakdown ? response.series.map((s) => s.label) : response.series.map(() => response.type);
  const labels = uniqueLabels(names);
  const lines = response.series.map((s, n) => {
    const values = new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) {
      const i = index.get(Date.parse(p.bucket_start));
      if (i !== undefined) values[i] = p.value !== null && Number.isFinite(p.value) ? p.value : null;
    }
    return { label: labels[n] as string, key: s.key, total: s.total, values };
  });
  return { xs, lines };
}

/** Breakdown colours by rank (the first value takes the palette's first colour), "Other" in slate. */
export function breakdownColors(lines: readonly TrendLine[]): (label: string) => string {
  const colors = new Map<string, string>();
  let slot = 0;
  for (const line of lines) {
    colors.set(line.label, line.key === OTHER_KEY ? OTHER_COLOR : (PALETTE[slot++ % PALETTE.length] as string));
  }
  return (label) => colors.get(label) ?? OTHER_COLOR;
}

/** A breakdown line's identity across periods: its key (ranks and labels may differ between them). */
export function lineKey(line: Pick<TrendLine, 'key'>): string {
  return JSON.stringify(line.key);
}
