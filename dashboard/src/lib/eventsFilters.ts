import { readCsv, readInt, readString, writeParams } from './params';
import type { RangeSpec } from './range';
import { rangeEntries, readRange } from './rangeParams';

export interface EventsFilters {
  types: string[];
  userId: string;
  range: RangeSpec;
  property: string;
  value: string;
  limit: number;
}

export const EVENTS_DEFAULT_LIMIT = 50;
export const EVENTS_MAX_LIMIT = 200;

export function parseEventsFilters(params: URLSearchParams): EventsFilters {
  return {
    types: readCsv(params, 'types'),
    userId: readString(params, 'user_id'),
    range: readRange(params, '24h'),
    property: readString(params, 'property'),
    // The value is not trimmed: " x" is a string the user may really be looking for.
    value: params.get('value') ?? '',
    limit: readInt(params, 'limit', EVENTS_DEFAULT_LIMIT, 1, EVENTS_MAX_LIMIT),
  };
}

export function serialiseEventsFilters(f: EventsFilters): URLSearchParams {
  const withProperty = f.property !== '';
  return writeParams([
    ['types', f.types.join(',')],
    ['user_id', f.userId],
    ...rangeEntries(f.range),
    ['property', withProperty ? f.property : ''],
    ['value', withProperty ? f.value : ''],
    ['limit', f.limit === EVENTS_DEFAULT_LIMIT ? '' : f.limit],
  ]);
}

/** What is wrong with a draft before it goes to the API: a backwards range, a value without a property. */
export function eventsFilterError(f: EventsFilters): string | null {
  if (f.range.kind === 'custom' && !(Date.parse(f.range.from) < Date.parse(f.range.to))) return 'The start must be before the end.';
  return propertyFilterError(f.property, f.value);
}

/** The API wants `property` and `value` together or not at all. */
export function propertyFilterError(property: string, value: string): string | null {
  if (property.trim() === '' && value !== '') return 'Name the property to compare the value with.';
  return null;
}
