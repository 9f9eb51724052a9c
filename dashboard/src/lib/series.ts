/**
 * Turns one sparse series from /v1/metrics/series into one value per bucket.
 * An absent bucket is 0 (the API's rule for both metrics); a point whose time is not a bucket
 * start is ignored rather than guessed into a neighbour, so a contract slip cannot shift the chart.
 */
export function densify(bucketsMs: readonly number[], tMs: readonly number[], v: readonly number[]): number[] {
  const byTime = new Map<number, number>();
  const n = Math.min(tMs.length, v.length);
  for (let i = 0; i < n; i++) {
    const t = tMs[i];
    const value = v[i];
    if (t !== undefined && value !== undefined && Number.isFinite(value)) byTime.set(t, value);
  }
  const out = new Array<number>(bucketsMs.length);
  for (let i = 0; i < bucketsMs.length; i++) {
    out[i] = byTime.get(bucketsMs[i] as number) ?? 0;
  }
  return out;
}

/** Sum of the buckets; only meaningful for `count` (unique users are not additive across buckets). */
export function sumValues(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Indices of one table page, newest bucket first. */
export function pageIndicesNewestFirst(length: number, page: number, pageSize: number): number[] {
  const out: number[] = [];
  const start = length - 1 - page * pageSize;
  for (let i = start; i > start - pageSize && i >= 0; i--) out.push(i);
  return out;
}

export function pageCount(length: number, pageSize: number): number {
  return Math.max(1, Math.ceil(length / pageSize));
}

export interface NamedValues {
  label: string;
  values: number[];
}

/** Every series of a /v1/metrics/series answer, densified onto its buckets, in the answer's order. */
export function denseSeries(response: {
  buckets_ms: number[];
  series: { event_type: string; t_ms: number[]; v: number[] }[];
}): NamedValues[] {
  return response.series.map((s) => ({ label: s.event_type, values: densify(response.buckets_ms, s.t_ms, s.v) }));
}

/** Puts series in the order of `labels` (colours then match other views); unknown labels go last. */
export function orderByLabels<T extends { label: string }>(series: T[], labels: readonly string[]): T[] {
  const rank = (label: string) => {
    const i = labels.indexOf(label);
    return i === -1 ? labels.length : i;
  };
  return [...series].sort((a, b) => rank(a.label) - rank(b.label));
}
