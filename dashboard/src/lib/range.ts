import type { Interval } from '../api/types';
import { isoUtc } from './time';

export type RangePreset = '1h' | '24h' | '7d' | '30d';

/** A time range as the URL keeps it: presets stay relative so that a shared link stays "live". */
export type RangeSpec = { kind: 'preset'; preset: RangePreset } | { kind: 'custom'; from: string; to: string };

export interface ResolvedRange {
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RANGE_PRESETS: readonly { value: RangePreset; label: string; ms: number }[] = [
  { value: '1h', label: 'Last 1 hour', ms: HOUR },
  { value: '24h', label: 'Last 24 hours', ms: DAY },
  { value: '7d', label: 'Last 7 days', ms: 7 * DAY },
  { value: '30d', label: 'Last 30 days', ms: 30 * DAY },
];

export const PRESET_VALUES = RANGE_PRESETS.map((p) => p.value);

/** Bucket widths and the longest range the API accepts for each (API.md, /v1/metrics/series). */
export const INTERVALS: readonly { value: Interval; label: string; ms: number; maxRangeMs: number }[] = [
  { value: '1m', label: '1 minute', ms: MINUTE, maxRangeMs: 31 * DAY },
  { value: '5m', label: '5 minutes', ms: 5 * MINUTE, maxRangeMs: 92 * DAY },
  { value: '1h', label: '1 hour', ms: HOUR, maxRangeMs: 400 * DAY },
  { value: '1d', label: '1 day', ms: DAY, maxRangeMs: 3660 * DAY },
];

export const INTERVAL_VALUES = INTERVALS.map((i) => i.value);

export function presetMs(preset: RangePreset): number {
  return RANGE_PRESETS.find((p) => p.value === preset)?.ms ?? DAY;
}

/**
 * Presets end "now", taken when the request is made (not when the page was opened), so a
 * refetch moves the window forward. Whole seconds keep the URLs and cache keys tidy.
 */
export function resolveRange(spec: RangeSpec, nowMs: number): ResolvedRange {
  if (spec.kind === 'custom') {
    const fromMs = Date.parse(spec.from);
    const toMs = Date.parse(spec.to);
    return { from: isoUtc(fromMs), to: isoUtc(toMs), fromMs, toMs };
  }
  const toMs = Math.floor(nowMs / 1000) * 1000;
  const fromMs = toMs - presetMs(spec.preset);
  return { from: isoUtc(fromMs), to: isoUtc(toMs), fromMs, toMs };
}

/** Ingestion accepts event times up to an hour ahead (API.md, GET /v1/events). */
export const FUTURE_SLACK_MS = HOUR;

/**
 * The explorer's window: a preset reaches an hour past now, as the API's own default does, so an
 * event stamped slightly in the future (a fast client clock) is still listed.
 */
export function resolveExplorerRange(spec: RangeSpec, nowMs: number): ResolvedRange {
  const range = resolveRange(spec, nowMs);
  if (spec.kind === 'custom') return range;
  const toMs = range.toMs + FUTURE_SLACK_MS;
  return { ...range, to: isoUtc(toMs), toMs };
}

/** A sensible bucket width for a preset: roughly 60 to 700 points. */
export function defaultIntervalFor(preset: RangePreset): Interval {
  switch (preset) {
    case '1h':
      return '1m';
    case '24h':
      return '5m';
    case '7d':
      return '1h';
    case '30d':
      return '1d';
  }
}

/** The message the API would answer with, said before asking it; null when the range is fine. */
export function validateSeriesRange(interval: Interval, fromMs: number, toMs: number): string | null {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return 'Pick a valid start and end time.';
  if (fromMs >= toMs) return 'The start must be before the end.';
  const limit = INTERVALS.find((i) => i.value === interval);
  if (limit && toMs - fromMs > limit.maxRangeMs) {
    return `At ${limit.label} buckets the range can be at most ${Math.round(limit.maxRangeMs / DAY)} days.`;
  }
  return null;
}

/**
 * How often a chart refetches: only a range that ends now can change, and a coarse bucket does
 * not need 5-second polling (a 30-day 1m chart is 43k points per type).
 */
export function refreshMsFor(spec: RangeSpec, interval: Interval, nowMs: number): number | false {
  if (spec.kind === 'custom' && Date.parse(spec.to) < nowMs) return false;
  switch (interval) {
    case '1m':
      return spec.kind === 'preset' && presetMs(spec.preset) > DAY ? 30_000 : 5_000;
    case '5m':
      return 15_000;
    default:
      return 60_000;
  }
}

/** About this many buckets make a readable chart; a custom range gets the interval nearest to it. */
const TARGET_BUCKETS = 120;

/**
 * The interval after the range changes. A preset brings its own (1 hour at 1-minute buckets, not the
 * 5-minute ones left from 24 hours: 12 points say little); a custom range gets the finest interval
 * that stays near TARGET_BUCKETS and that the API accepts.
 */
export function intervalForRange(range: RangeSpec, nowMs: number): Interval {
  if (range.kind === 'preset') return defaultIntervalFor(range.preset);
  const { fromMs, toMs } = resolveRange(range, nowMs);
  const span = Math.max(0, toMs - fromMs);
  const fit = INTERVALS.find((i) => span / i.ms <= TARGET_BUCKETS * 3 && validateSeriesRange(i.value, fromMs, toMs) === null);
  return fit?.value ?? '1d';
}
