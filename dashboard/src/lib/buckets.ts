import type { Freshness, Interval, SeriesResponse, TrendResponse } from '../api/types';
import { completeUpToMs } from './freshness';

/**
 * Which buckets of a series are still filling. A bucket is complete once everything up to its end has
 * been counted: its end is at or before `freshness.complete_up_to` (the aggregator's watermark) and
 * before now. The newest bucket of a live range almost never is, and drawing it like a finished one
 * shows a drop that is not there.
 */

/** The end of bucket `i`: the next bucket's start (DST-safe for 1h/1d in a zone), else start + width. */
export function bucketEndMs(bucketsMs: readonly number[], i: number, widthMs: number): number {
  const next = bucketsMs[i + 1];
  return next !== undefined ? next : (bucketsMs[i] as number) + widthMs;
}

/**
 * Index of the first bucket that may still grow (buckets are in time order, so every later one may
 * too); `bucketsMs.length` when all are complete. An unknown watermark (null) means only buckets that
 * have not ended yet are partial.
 */
export function firstPartialIndex(
  bucketsMs: readonly number[],
  widthMs: number,
  completeUpToMs: number | null,
  nowMs: number,
): number {
  const cut = completeUpToMs === null ? nowMs : Math.min(completeUpToMs, nowMs);
  for (let i = 0; i < bucketsMs.length; i++) {
    if (bucketEndMs(bucketsMs, i, widthMs) > cut) return i;
  }
  return bucketsMs.length;
}

/**
 * One series as two drawable lines: the complete part (null from the first partial bucket on) and the
 * partial part, which repeats the last complete point so the dotted line joins the solid one.
 */
export function splitAtPartial(
  values: readonly (number | null)[],
  partialFrom: number,
): { complete: (number | null)[]; partial: (number | null)[] } {
  const complete = values.map((v, i) => (i < partialFrom ? v : null));
  const partial = values.map((v, i) => (i >= partialFrom - 1 && partialFrom < values.length ? v : null));
  return { complete, partial };
}

const INTERVAL_MS: Record<Interval, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

/** The first partial bucket of buckets of `interval` under an answer's watermark, judged at `nowMs`. */
export function partialFromWatermark(bucketsMs: readonly number[], interval: Interval, freshness: Freshness | null | undefined, nowMs: number): number {
  return firstPartialIndex(bucketsMs, INTERVAL_MS[interval], completeUpToMs(freshness), nowMs);
}

/** The first partial bucket of a /v1/metrics/series answer, judged at `nowMs`. */
export function seriesPartialFrom(data: Pick<SeriesResponse, 'buckets_ms' | 'interval' | 'freshness'>, nowMs: number): number {
  return partialFromWatermark(data.buckets_ms, data.interval, data.freshness, nowMs);
}

/**
 * The first partial bucket of a /v1/insights/trend answer drawn over `xs` (its bucket starts), judged at
 * `nowMs`: the same rule as the series chart's, under the trend's own watermark.
 */
export function trendPartialFrom(xs: readonly number[], data: Pick<TrendResponse, 'interval' | 'freshness'>, nowMs: number): number {
  return partialFromWatermark(xs, data.interval, data.freshness, nowMs);
}
