import { describe, expect, it } from 'vitest';
import { defaultIntervalFor, intervalForRange, refreshMsFor, resolveExplorerRange, resolveRange, validateSeriesRange } from './range';

const NOW = Date.parse('2026-11-27T13:05:12.789Z');
const DAY = 86_400_000;

describe('resolveRange', () => {
  it('ends presets at now, whole seconds, ISO UTC', () => {
    expect(resolveRange({ kind: 'preset', preset: '1h' }, NOW)).toEqual({
      from: '2026-11-27T12:05:12Z',
      to: '2026-11-27T13:05:12Z',
      fromMs: Date.parse('2026-11-27T12:05:12Z'),
      toMs: Date.parse('2026-11-27T13:05:12Z'),
    });
    const month = resolveRange({ kind: 'preset', preset: '30d' }, NOW);
    expect(month.toMs - month.fromMs).toBe(30 * DAY);
  });

  it('keeps custom ranges as given', () => {
    const r = resolveRange({ kind: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, NOW);
    expect(r.from).toBe('2026-11-01T00:00:00Z');
    expect(r.toMs - r.fromMs).toBe(DAY);
  });
});

describe('validateSeriesRange', () => {
  it('applies the API limits per interval', () => {
    expect(validateSeriesRange('1m', 0, 31 * DAY)).toBeNull();
    expect(validateSeriesRange('1m', 0, 31 * DAY + 1)).toMatch(/at most 31 days/);
    expect(validateSeriesRange('5m', 0, 93 * DAY)).toMatch(/92 days/);
    expect(validateSeriesRange('1h', 0, 400 * DAY)).toBeNull();
    expect(validateSeriesRange('1d', 0, 3661 * DAY)).toMatch(/3660 days/);
  });

  it('requires from before to', () => {
    expect(validateSeriesRange('1h', 10, 10)).toMatch(/before/);
    expect(validateSeriesRange('1h', Number.NaN, 10)).toMatch(/valid/);
  });
});

describe('defaults and refresh', () => {
  it('picks an interval per preset', () => {
    expect(defaultIntervalFor('1h')).toBe('1m');
    expect(defaultIntervalFor('24h')).toBe('5m');
    expect(defaultIntervalFor('7d')).toBe('1h');
    expect(defaultIntervalFor('30d')).toBe('1d');
  });

  it('polls live ranges only, slower for coarse buckets', () => {
    expect(refreshMsFor({ kind: 'preset', preset: '1h' }, '1m', NOW)).toBe(5_000);
    expect(refreshMsFor({ kind: 'preset', preset: '30d' }, '1m', NOW)).toBe(30_000);
    expect(refreshMsFor({ kind: 'preset', preset: '7d' }, '1h', NOW)).toBe(60_000);
    expect(refreshMsFor({ kind: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, '1m', NOW)).toBe(false);
    expect(refreshMsFor({ kind: 'custom', from: '2026-11-27T00:00:00Z', to: '2026-11-28T00:00:00Z' }, '5m', NOW)).toBe(15_000);
  });
});

describe('resolveExplorerRange', () => {
  it('reaches an hour past now for presets, as the API default does', () => {
    const r = resolveExplorerRange({ kind: 'preset', preset: '24h' }, NOW);
    expect(r.from).toBe('2026-11-26T13:05:12Z');
    expect(r.to).toBe('2026-11-27T14:05:12Z');
  });

  it('leaves custom ranges alone', () => {
    const custom = { kind: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' } as const;
    expect(resolveExplorerRange(custom, NOW).to).toBe('2026-11-02T00:00:00Z');
  });
});

describe('intervalForRange', () => {
  const now = Date.parse('2026-12-07T14:37:00Z');
  it('gives each preset its own interval, whatever was chosen before', () => {
    expect(intervalForRange({ kind: 'preset', preset: '1h' }, now)).toBe('1m');
    expect(intervalForRange({ kind: 'preset', preset: '7d' }, now)).toBe('1h');
  });

  it('fits a custom range to a readable number of buckets', () => {
    const custom = (hours: number) => ({ kind: 'custom' as const, from: new Date(now - hours * 3_600_000).toISOString(), to: new Date(now).toISOString() });
    expect(intervalForRange(custom(2), now)).toBe('1m');
    expect(intervalForRange(custom(12), now)).toBe('5m');
    expect(intervalForRange(custom(24 * 10), now)).toBe('1h');
    expect(intervalForRange(custom(24 * 200), now)).toBe('1d');
  });
});
