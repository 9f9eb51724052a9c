import { describe, expect, it } from 'vitest';
import { completeUpToMs, freshnessLevel, freshnessText } from './freshness';

const NOW = Date.parse('2026-11-27T13:05:14Z');

describe('freshnessText', () => {
  it('says how complete the data is and the lag', () => {
    expect(freshnessText({ complete_up_to: '2026-11-27T13:05:12.345Z', lag_seconds: 2.1 }, 'UTC', NOW)).toBe(
      'complete up to 13:05:12, lag 2.1 s',
    );
  });

  it('renders the time in the zone', () => {
    expect(freshnessText({ complete_up_to: '2026-11-27T13:05:12Z', lag_seconds: 65 }, 'Europe/Paris', NOW)).toBe(
      'complete up to 14:05:12, lag 1 min 5 s',
    );
  });

  it('adds the date when the data is old, so a stalled pipeline is obvious', () => {
    expect(freshnessText({ complete_up_to: '2026-11-25T08:00:00Z', lag_seconds: 190_000 }, 'UTC', NOW)).toBe(
      'complete up to 2026-11-25 08:00:00, lag 2 d 4 h',
    );
  });

  it('handles the nulls of an empty tenant', () => {
    expect(freshnessText({ complete_up_to: null, lag_seconds: null }, 'UTC', NOW)).toBe('no complete data yet, lag unknown');
    expect(freshnessText(undefined, 'UTC', NOW)).toBe('freshness unknown');
  });
});

describe('freshnessLevel', () => {
  it('grades the lag', () => {
    expect(freshnessLevel(2)).toBe('ok');
    expect(freshnessLevel(30)).toBe('ok');
    expect(freshnessLevel(120)).toBe('warn');
    expect(freshnessLevel(3600)).toBe('bad');
    expect(freshnessLevel(null)).toBe('unknown');
  });
});

describe('completeUpToMs', () => {
  it('parses the instant or says null', () => {
    expect(completeUpToMs({ complete_up_to: '2026-11-27T13:05:12.345Z', lag_seconds: 1 })).toBe(Date.parse('2026-11-27T13:05:12.345Z'));
    expect(completeUpToMs({ complete_up_to: null, lag_seconds: null })).toBeNull();
    expect(completeUpToMs({ complete_up_to: 'garbage', lag_seconds: 1 })).toBeNull();
    expect(completeUpToMs(undefined)).toBeNull();
  });
});
