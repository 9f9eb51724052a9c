import { describe, expect, it } from 'vitest';
import { parseMetricsFilters, serialiseMetricsFilters } from './metricsFilters';

const parse = (qs: string) => parseMetricsFilters(new URLSearchParams(qs), 'Europe/Paris');

describe('metrics filters in the URL', () => {
  it('defaults: no types, count, last 24 h at 5m, browser zone', () => {
    expect(parse('')).toEqual({
      types: [],
      metric: 'count',
      interval: '5m',
      range: { kind: 'preset', preset: '24h' },
      tz: 'Europe/Paris',
      compare: false,
    });
  });

  it('reads every field', () => {
    expect(parse('types=signup,checkout&metric=unique_users&interval=1h&range=7d&tz=UTC&compare=previous')).toEqual({
      types: ['signup', 'checkout'],
      metric: 'unique_users',
      interval: '1h',
      range: { kind: 'preset', preset: '7d' },
      tz: 'UTC',
      compare: true,
    });
  });

  it('picks the interval from the preset when the URL has none', () => {
    expect(parse('range=1h').interval).toBe('1m');
    expect(parse('range=30d').interval).toBe('1d');
  });

  it('falls back on unknown values instead of failing', () => {
    const f = parse('metric=sum&interval=2m&range=1y&tz=Mars/Base');
    expect(f.metric).toBe('count');
    expect(f.range).toEqual({ kind: 'preset', preset: '24h' });
    expect(f.interval).toBe('5m');
    expect(f.tz).toBe('Europe/Paris');
  });

  it('cleans the type list and caps it at 20', () => {
    expect(parse('types=a,,b, a ,c').types).toEqual(['a', 'b', 'c']);
    const many = Array.from({ length: 30 }, (_, i) => `t${i}`).join(',');
    expect(parse(`types=${many}`).types).toHaveLength(20);
  });

  it('reads a custom range and normalises it to UTC', () => {
    expect(parse('range=custom&from=2026-11-01T01:00:00%2B01:00&to=2026-11-02T00:00:00Z').range).toEqual({
      kind: 'custom',
      from: '2026-11-01T00:00:00Z',
      to: '2026-11-02T00:00:00Z',
    });
  });

  it('falls back to the preset when a custom time does not parse', () => {
    expect(parse('range=custom&from=nope&to=2026-11-01T00:00:00Z').range).toEqual({ kind: 'preset', preset: '24h' });
    expect(parse('range=custom&from=2026-11-01T00:00:00Z').range.kind).toBe('preset');
  });

  it('keeps a backwards custom range for the page to flag, rather than jumping to a preset', () => {
    expect(parse('range=custom&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z').range.kind).toBe('custom');
  });

  it('round-trips, zone included', () => {
    const qs = 'types=signup%2Ccheckout&metric=unique_users&interval=1m&range=custom&from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z&tz=America%2FNew_York&compare=previous';
    const f = parse(qs);
    expect(serialiseMetricsFilters(f).toString()).toBe(qs);
    expect(parse(serialiseMetricsFilters(f).toString())).toEqual(f);
  });
});
