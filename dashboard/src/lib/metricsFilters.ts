import type { Interval, Metric } from '../api/types';
import { readCsv, readEnum, readString, writeParams } from './params';
import { defaultIntervalFor, INTERVAL_VALUES, type RangeSpec } from './range';
import { rangeEntries, readRange } from './rangeParams';
import { canonicalTimeZone } from './time';

export interface MetricsFilters {
  types: string[];
  metric: Metric;
  interval: Interval;
  range: RangeSpec;
  tz: string;
  /** Draw the previous period as dotted lines. */
  compare: boolean;
}

export const METRICS: readonly Metric[] = ['count', 'unique_users'];
export const MAX_SERIES_TYPES = 20;

/** `defaultTz` is the browser's zone; it is a parameter so that parsing stays pure. */
export function parseMetricsFilters(params: URLSearchParams, defaultTz: string): MetricsFilters {
  const range = readRange(params, '24h');
  const fallbackInterval = range.kind === 'preset' ? defaultIntervalFor(range.preset) : '1h';
  const tz = canonicalTimeZone(readString(params, 'tz'));
  return {
    types: readCsv(params, 'types', MAX_SERIES_TYPES),
    metric: readEnum(params, 'metric', METRICS, 'count'),
    interval: readEnum(params, 'interval', INTERVAL_VALUES, fallbackInterval),
    range,
    tz: tz ?? defaultTz,
    compare: params.get('compare') === 'previous',
  };
}

/** Writes every field, the zone included, so that a shared URL shows the same buckets to anyone. */
export function serialiseMetricsFilters(f: MetricsFilters): URLSearchParams {
  return writeParams([
    ['types', f.types.join(',')],
    ['metric', f.metric],
    ['interval', f.interval],
    ...rangeEntries(f.range),
    ['tz', f.tz],
    ['compare', f.compare ? 'previous' : ''],
  ]);
}
