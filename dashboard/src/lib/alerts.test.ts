import { describe, expect, it } from 'vitest';
import {
  conditionSummary,
  measureText,
  metricText,
  expectedText,
  formatWindow,
  isSilenced,
  repeatText,
  silenceFor,
  transitionText,
  WINDOW_PRESETS,
  windowOptions,
} from './alerts';

describe('windows', () => {
  it('offers 1, 5, 15, 30 min and 1, 6, 24 h', () => {
    expect(WINDOW_PRESETS.map((p) => p.seconds)).toEqual([60, 300, 900, 1800, 3600, 21600, 86400]);
    expect(WINDOW_PRESETS.map((p) => p.label)).toEqual(['1 min', '5 min', '15 min', '30 min', '1 h', '6 h', '24 h']);
  });

  it('formats whole minutes and hours', () => {
    expect(formatWindow(300)).toBe('5 min');
    expect(formatWindow(3600)).toBe('1 h');
    expect(formatWindow(5400)).toBe('1 h 30 min');
    expect(formatWindow(86400)).toBe('24 h');
    expect(formatWindow(90)).toBe('90 s');
    expect(formatWindow(0)).toBe('—');
  });

  it("adds a rule's own window when it is not a preset, in order", () => {
    expect(windowOptions(300)).toHaveLength(7);
    const options = windowOptions(120);
    expect(options.map((o) => o.seconds)).toEqual([60, 120, 300, 900, 1800, 3600, 21600, 86400]);
    expect(options[1]?.label).toBe('2 min');
  });
});

describe('the measure in words', () => {
  const filters = [
    { property: 'plan', op: 'eq' as const, value: 'pro' },
    { property: 'coupon', op: 'is_set' as const },
  ];

  it('names the metric with its property and filters', () => {
    expect(measureText('count')).toBe('count');
    expect(measureText({ metric: 'unique_users', property: null, filters: [] })).toBe('unique users');
    expect(measureText({ metric: 'sum', property: 'amount', filters: [filters[0]!] })).toBe('sum of amount where plan equals "pro"');
    expect(measureText({ metric: 'avg', property: 'amount', filters })).toBe('average of amount where plan equals "pro" and coupon is set');
    expect(measureText({ metric: 'count', filters: [{ property: 'country', op: 'in', value: ['DE', 'FR'] }] })).toBe('count where country is one of "DE", "FR"');
    expect(metricText({ metric: 'max', property: 'latency_ms', filters })).toBe('maximum of latency_ms');
  });

  it('puts the filters after the condition', () => {
    expect(conditionSummary({ metric: 'sum', property: 'amount', filters: [filters[0]!] }, 3600, { kind: 'threshold', operator: 'above', value: 5000 })).toBe(
      'sum of amount > 5,000 over 1 h, where plan equals "pro"',
    );
    expect(conditionSummary({ metric: 'min', property: 'stock' }, 300, { kind: 'change', direction: 'down', mode: 'absolute', value: 3 })).toBe(
      'minimum of stock falls by ≥ 3 over 5 min (vs the previous window)',
    );
    expect(conditionSummary({ metric: 'count', filters }, 3600, { kind: 'absence' })).toBe('absence over 1 h, where plan equals "pro" and coupon is set');
  });
});

describe('conditionSummary', () => {
  it('says a threshold as an inequality over the window', () => {
    expect(conditionSummary('count', 300, { kind: 'threshold', operator: 'above', value: 100 })).toBe('count > 100 over 5 min');
    expect(conditionSummary('unique_users', 3600, { kind: 'threshold', operator: 'below', value: 1500 })).toBe('unique users < 1,500 over 1 h');
  });

  it('says a change with its direction and unit', () => {
    expect(conditionSummary('count', 900, { kind: 'change', direction: 'up', mode: 'percent', value: 50 })).toBe(
      'count rises by ≥ 50% over 15 min (vs the previous window)',
    );
    expect(conditionSummary('count', 60, { kind: 'change', direction: 'either', mode: 'absolute', value: 20 })).toBe(
      'count changes by ≥ 20 over 1 min (vs the previous window)',
    );
  });

  it('says absence and anomaly briefly', () => {
    expect(conditionSummary('count', 3600, { kind: 'absence' })).toBe('absence over 1 h');
    expect(conditionSummary('count', 300, { kind: 'anomaly', weeks: 4, sensitivity: 3, direction: 'either', min_baseline: null })).toBe(
      'anomaly (3σ, 4 weeks) over 5 min',
    );
    expect(conditionSummary('count', 300, { kind: 'anomaly', weeks: 2, sensitivity: 2.5, direction: 'down', min_baseline: 10 })).toBe(
      'anomaly down (2.5σ, 2 weeks, min baseline 10) over 5 min',
    );
  });
});

describe('expectedText', () => {
  it('shows the threshold or the band', () => {
    expect(expectedText({ kind: 'threshold', operator: 'above', threshold: 100 })).toBe('> 100');
    expect(expectedText({ kind: 'anomaly', direction: 'either', sensitivity: 3, weeks: 4, median: 100, mad: 5, low: 80.5, high: 119.5 })).toBe(
      'band 80.5 – 119.5 (median 100)',
    );
    expect(expectedText({ kind: 'absence', at_least: 1 })).toBe('≥ 1');
  });

  it('shows a change against the previous window', () => {
    expect(expectedText({ kind: 'change', direction: 'up', mode: 'percent', by: 50, previous: 40, change: 75 })).toBe(
      'up by ≥ 50%, previous 40, change +75%',
    );
  });

  it('says why it could not judge', () => {
    expect(expectedText({ kind: 'threshold', operator: 'below', threshold: 5, reason: 'window_incomplete' })).toBe('< 5; window not complete yet');
    expect(expectedText({ kind: 'anomaly', direction: 'up', sensitivity: 3, reason: 'insufficient_history', weeks_available: 1, weeks_required: 2 })).toBe(
      '3σ; not enough history (1/2 weeks)',
    );
    expect(expectedText({ reason: 'something_new' })).toBe('something new');
    expect(expectedText(null)).toBe('—');
  });
});

describe('history rows', () => {
  it('shows a transition or a repeat', () => {
    expect(transitionText({ kind: 'transition', from_state: 'PENDING', to_state: 'FIRING' })).toBe('PENDING → FIRING');
    expect(transitionText({ kind: 'repeat', from_state: 'FIRING', to_state: 'FIRING' })).toBe('repeat');
  });
});

describe('silence', () => {
  const NOW = Date.parse('2026-11-27T13:05:12.345Z');

  it('is silenced only until a future instant', () => {
    expect(isSilenced(null, NOW)).toBe(false);
    expect(isSilenced('2026-11-27T14:00:00Z', NOW)).toBe(true);
    expect(isSilenced('2026-11-27T13:00:00Z', NOW)).toBe(false);
    expect(isSilenced('garbage', NOW)).toBe(false);
  });

  it('computes "silence for" in whole seconds, UTC', () => {
    expect(silenceFor(1, NOW)).toBe('2026-11-27T14:05:12Z');
    expect(silenceFor(24, NOW)).toBe('2026-11-28T13:05:12Z');
  });

  it('describes the repeat interval', () => {
    expect(repeatText(null)).toBe('notify once');
    expect(repeatText(3600)).toBe('every 1 h');
  });
});
