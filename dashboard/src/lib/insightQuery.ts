import type { InsightMeasure, Interval, PropertyFilter } from '../api/types';
import type { QueryValue } from '../api/client';
import { readEnum, readInt, readString, writeParams } from './params';
import { MAX_FILTERS, MAX_PROPERTY_NAME, parseFilter, serialiseFilter } from './propertyFilters';
import { defaultIntervalFor, INTERVAL_VALUES, resolveRange, type RangeSpec } from './range';
import { rangeEntries, readRange } from './rangeParams';
import { canonicalTimeZone, isoUtc } from './time';

/**
 * The Metrics page's insight (GET /v1/insights/trend) as the URL holds it: every field is written, the
 * zone and the comparison included, so a shared link draws the same chart for anyone who opens it.
 */
export interface InsightQuery {
  type: string;
  measure: InsightMeasure;
  /** The numeric property of sum/avg/min/max; '' for count and unique users. */
  property: string;
  /** '' for no breakdown. */
  breakdown: string;
  /** Top N breakdown values (the rest is "Other"). */
  limit: number;
  filters: PropertyFilter[];
  interval: Interval;
  range: RangeSpec;
  tz: string;
  /** Draw the previous period as dotted lines. */
  compare: boolean;
}

export const MEASURES: readonly { value: InsightMeasure; label: string }[] = [
  { value: 'count', label: 'Events (count)' },
  { value: 'unique_users', label: 'Unique users' },
  { value: 'sum', label: 'Sum of' },
  { value: 'avg', label: 'Average of' },
  { value: 'min', label: 'Minimum of' },
  { value: 'max', label: 'Maximum of' },
];
const MEASURE_VALUES = MEASURES.map((m) => m.value);

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 25;

export function needsProperty(measure: InsightMeasure): boolean {
  return measure === 'sum' || measure === 'avg' || measure === 'min' || measure === 'max';
}

function readName(params: URLSearchParams, name: string): string {
  const value = readString(params, name);
  return value.length <= MAX_PROPERTY_NAME ? value : '';
}

/** `defaultTz` is the browser's zone, a parameter so that parsing stays pure. */
export function parseInsightQuery(params: URLSearchParams, defaultTz: string): InsightQuery {
  const range = readRange(params, '7d');
  const measure = readEnum(params, 'measure', MEASURE_VALUES, 'count');
  const filters = params.getAll('filter').map(parseFilter).filter((f): f is PropertyFilter => f !== null).slice(0, MAX_FILTERS);
  return {
    type: readString(params, 'type'),
    measure,
    property: needsProperty(measure) ? readName(params, 'property') : '',
    breakdown: readName(params, 'breakdown'),
    limit: readInt(params, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
    filters,
    interval: readEnum(params, 'interval', INTERVAL_VALUES, range.kind === 'preset' ? defaultIntervalFor(range.preset) : '1h'),
    range,
    tz: canonicalTimeZone(readString(params, 'tz')) ?? defaultTz,
    compare: params.get('compare') === 'previous',
  };
}

/** `view=insight` first: the page reads it to pick the builder over the types chart. */
export function serialiseInsightQuery(q: InsightQuery): URLSearchParams {
  const params = writeParams([
    ['view', 'insight'],
    ['type', q.type],
    ['measure', q.measure],
    ['property', needsProperty(q.measure) ? q.property : ''],
    ['breakdown', q.breakdown],
    ['limit', q.breakdown ? q.limit : ''],
    ['interval', q.interval],
    ...rangeEntries(q.range),
    ['tz', q.tz],
    ['compare', q.compare ? 'previous' : ''],
  ]);
  for (const f of q.filters) params.append('filter', serialiseFilter(f));
  return params;
}

/** Whether the query can be asked at all; the API judges the rest (and says why in a 422). */
export function missingPart(q: InsightQuery): string | null {
  if (q.type === '') return 'Pick an event type.';
  if (needsProperty(q.measure) && q.property === '') return 'Pick the numeric property to measure.';
  return null;
}

/** GET /v1/insights/trend's query string, for the range shifted back by `shiftMs` (0: the range itself). */
export function trendRequest(q: InsightQuery, nowMs: number, shiftMs = 0): Record<string, QueryValue> {
  const { fromMs, toMs } = resolveRange(q.range, nowMs);
  return {
    type: q.type,
    start: isoUtc(fromMs - shiftMs),
    end: isoUtc(toMs - shiftMs),
    interval: q.interval,
    tz: q.tz,
    measure: q.measure,
    property: needsProperty(q.measure) ? q.property : null,
    breakdown: q.breakdown || null,
    limit: q.breakdown ? q.limit : null,
    filter: { repeated: q.filters.map(serialiseFilter) },
  };
}
