import type { Freshness } from '../api/types';
import { formatDuration } from './format';
import { formatClock, formatDateTime, toMs } from './time';

export type FreshnessLevel = 'ok' | 'warn' | 'bad' | 'unknown';

/** Lag thresholds: under 30 s is normal pipeline latency, over 5 min means something is stuck. */
export function freshnessLevel(lagSeconds: number | null | undefined): FreshnessLevel {
  if (lagSeconds === null || lagSeconds === undefined || !Number.isFinite(lagSeconds)) return 'unknown';
  if (lagSeconds <= 30) return 'ok';
  if (lagSeconds <= 300) return 'warn';
  return 'bad';
}

/** The instant after which buckets may still grow; null when unknown. */
export function completeUpToMs(freshness: Freshness | null | undefined): number | null {
  const ms = freshness?.complete_up_to ? Date.parse(freshness.complete_up_to) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * "complete up to 14:05:12, lag 2.1 s". A point older than 12 h also gets its date, or a
 * stalled pipeline would read like a fresh one.
 */
export function freshnessText(freshness: Freshness | null | undefined, tz: string, nowMs: number): string {
  if (!freshness) return 'freshness unknown';
  const lag = freshness.lag_seconds === null ? 'lag unknown' : `lag ${formatDuration(freshness.lag_seconds)}`;
  if (freshness.complete_up_to === null) return `no complete data yet, ${lag}`;
  const at = toMs(freshness.complete_up_to);
  if (!Number.isFinite(at)) return `freshness unknown, ${lag}`;
  const shown = nowMs - at > 12 * 3_600_000 ? formatDateTime(at, tz) : formatClock(at, tz);
  return `complete up to ${shown}, ${lag}`;
}
