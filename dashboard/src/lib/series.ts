/**
 * One series from /v1/metrics/series as exactly one value per bucket. The API sends `v` aligned with
 * `buckets_ms` already; this only guards the chart against a contract slip: a missing value or a
 * non-finite one becomes 0, extra values are dropped, so a line can never shift against its times.
 */
export function alignToBuckets(bucketsMs: readonly number[], v: readonly number[]): number[] {
  const out = new Array<number>(bucketsMs.length);
  for (let i = 0; i < bucketsMs.length; i++) {
    const value = v[i];
    out[i] = value !== undefined && Number.isFinite(value) ? value : 0;
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

/** Every series of a /v1/metrics/series answer, one value per bucket, in the answer's order. */
export function denseSeries(response: {
  buckets_ms: number[];
  series: { event_type: string; v: number[] }[];
}): NamedValues[] {
  return response.series.map((s) => ({ label: s.event_type, values: alignToBuckets(response.buckets_ms, s.v) }));
}

/** Puts series in the order of `labels` (colours then match other views); unknown labels go last. */
export function orderByLabels<T extends { label: string }>(series: T[], labels: readonly string[]): T[] {
  const rank = (label: string) => {
    const i = labels.indexOf(label);
    return i === -1 ? labels.length : i;
  };
  return [...series].sort((a, b) => rank(a.label) - rank(b.label));
}
