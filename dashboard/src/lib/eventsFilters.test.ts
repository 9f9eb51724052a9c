import { describe, expect, it } from 'vitest';
import { eventsFilterError, parseEventsFilters, propertyFilterError, serialiseEventsFilters } from './eventsFilters';

const parse = (qs: string) => parseEventsFilters(new URLSearchParams(qs));

describe('events filters in the URL', () => {
  it('defaults to the last 24 h, 50 a page', () => {
    expect(parse('')).toEqual({
      types: [],
      userId: '',
      range: { kind: 'preset', preset: '24h' },
      property: '',
      value: '',
      limit: 50,
    });
  });

  it('reads types, user, property filter and limit', () => {
    const f = parse('types=a,b&user_id=u-1&property=plan&value=pro&limit=10&range=7d');
    expect(f).toMatchObject({ types: ['a', 'b'], userId: 'u-1', property: 'plan', value: 'pro', limit: 10 });
    expect(f.range).toEqual({ kind: 'preset', preset: '7d' });
  });

  it('clamps the limit to what the API takes', () => {
    expect(parse('limit=1000').limit).toBe(200);
    expect(parse('limit=0').limit).toBe(1);
    expect(parse('limit=ten').limit).toBe(50);
  });

  it('keeps the value exactly as typed', () => {
    expect(parse('property=n&value=%2042').value).toBe(' 42');
  });

  it('writes short URLs and drops a value without a property', () => {
    expect(serialiseEventsFilters(parse('')).toString()).toBe('range=24h');
    expect(serialiseEventsFilters({ ...parse(''), value: 'x' }).toString()).toBe('range=24h');
    expect(serialiseEventsFilters(parse('user_id=u%201&limit=10')).toString()).toBe('user_id=u+1&range=24h&limit=10');
  });

  it('round-trips', () => {
    const f = parse('types=a&user_id=u&property=amount&value=42&range=custom&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&limit=20');
    expect(parse(serialiseEventsFilters(f).toString())).toEqual(f);
  });
});

describe('propertyFilterError', () => {
  it('wants a property name when a value is given', () => {
    expect(propertyFilterError('', 'x')).not.toBeNull();
    expect(propertyFilterError('plan', '')).toBeNull();
    expect(propertyFilterError('', '')).toBeNull();
  });
});

describe('eventsFilterError', () => {
  it('flags a backwards custom range and a value without a property', () => {
    const base = parseEventsFilters(new URLSearchParams(''));
    expect(eventsFilterError(base)).toBeNull();
    expect(eventsFilterError({ ...base, range: { kind: 'custom', from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' } })).toMatch(/before/);
    expect(eventsFilterError({ ...base, value: 'x' })).toMatch(/property/);
  });
});
