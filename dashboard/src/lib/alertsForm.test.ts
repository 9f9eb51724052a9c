import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../api/types';
import { defaultRuleForm, formToSpec, readNumber, repeatToForm, ruleToForm, type RuleForm } from './alertsForm';

const SPEC: RuleSpec = {
  name: 'Checkout spike',
  description: 'Pages the on-call',
  event_type: 'checkout',
  metric: 'count',
  window_seconds: 300,
  condition: { kind: 'threshold', operator: 'above', value: 100 },
  pending_evaluations: 2,
  repeat_interval_seconds: 3600,
  notify_on_resolve: true,
  silenced_until: null,
  severity: 'critical',
  enabled: true,
  channels: ['4a6c2f0e-0000-4000-8000-000000000001'],
};

const filled = (patch: Partial<RuleForm>): RuleForm => ({ ...defaultRuleForm(), name: 'r', eventType: 'signup', ...patch });

describe('rule <-> form', () => {
  it('round-trips every condition kind', () => {
    const conditions: RuleSpec['condition'][] = [
      { kind: 'threshold', operator: 'below', value: 2.5 },
      { kind: 'change', direction: 'down', mode: 'percent', value: 30 },
      { kind: 'absence' },
      { kind: 'anomaly', weeks: 6, sensitivity: 2.5, direction: 'up', min_baseline: 10 },
      { kind: 'anomaly', weeks: 4, sensitivity: 3, direction: 'either', min_baseline: null },
    ];
    for (const condition of conditions) {
      const spec = { ...SPEC, condition };
      expect(formToSpec(ruleToForm(spec))).toEqual({ ok: true, spec });
    }
  });

  it('keeps enabled and silenced_until, which the form does not edit, for a PUT', () => {
    const spec = { ...SPEC, enabled: false, silenced_until: '2026-11-28T00:00:00Z' };
    const result = formToSpec(ruleToForm(spec));
    expect(result.ok && result.spec.enabled).toBe(false);
    expect(result.ok && result.spec.silenced_until).toBe('2026-11-28T00:00:00Z');
  });

  it('starts a new rule with sensible defaults', () => {
    const result = formToSpec(filled({}));
    expect(result).toEqual({
      ok: true,
      spec: {
        name: 'r',
        description: '',
        event_type: 'signup',
        metric: 'count',
        window_seconds: 300,
        condition: { kind: 'threshold', operator: 'above', value: 100 },
        pending_evaluations: 1,
        repeat_interval_seconds: null,
        notify_on_resolve: true,
        silenced_until: null,
        severity: 'warning',
        enabled: true,
        channels: [],
      },
    });
  });

  it('round-trips a summed, filtered rule', () => {
    const spec: RuleSpec = {
      ...SPEC,
      metric: 'sum',
      property: 'amount',
      filters: [
        { property: 'plan', op: 'eq', value: 'pro' },
        { property: 'country', op: 'in', value: ['DE', 'FR'] },
        { property: 'coupon', op: 'is_set' },
        { property: 'items', op: 'gt', value: 2 },
      ],
    };
    const form = ruleToForm(spec);
    expect([form.metric, form.property, form.filters]).toEqual(['sum', 'amount', spec.filters]);
    expect(formToSpec(form)).toEqual({ ok: true, spec });
  });

  it('round-trips a filtered count, and a rule from an API that sends property null', () => {
    const counted: RuleSpec = { ...SPEC, filters: [{ property: 'plan', op: 'neq', value: 'free' }] };
    expect(formToSpec(ruleToForm(counted))).toEqual({ ok: true, spec: counted });
    const fromApi = { ...SPEC, metric: 'unique_users' as const, property: null, filters: [] };
    const result = formToSpec(ruleToForm(fromApi));
    expect(result.ok && result.spec).toEqual({ ...SPEC, metric: 'unique_users' });
  });

  it('sends the property only with a metric that reads one', () => {
    const sent = (patch: Partial<RuleForm>) => {
      const r = formToSpec(filled(patch));
      return r.ok ? [r.spec.metric, r.spec.property] : r.errors;
    };
    expect(sent({ metric: 'avg', property: ' amount ' })).toEqual(['avg', 'amount']);
    // A property picked for a sum and left behind when switching back to count stays out of the body.
    expect(sent({ metric: 'count', property: 'amount' })).toEqual(['count', undefined]);
  });

  it('trims the name and event type', () => {
    const result = formToSpec(filled({ name: '  Spike ', eventType: ' checkout ' }));
    expect(result.ok && [result.spec.name, result.spec.event_type]).toEqual(['Spike', 'checkout']);
  });
});

describe('repeat interval', () => {
  it('is shown in hours when whole hours, else minutes', () => {
    expect(repeatToForm(null)).toEqual({ repeatUnit: 'none', repeatValue: '1' });
    expect(repeatToForm(7200)).toEqual({ repeatUnit: 'hours', repeatValue: '2' });
    expect(repeatToForm(900)).toEqual({ repeatUnit: 'minutes', repeatValue: '15' });
    expect(repeatToForm(90)).toEqual({ repeatUnit: 'minutes', repeatValue: '1.5' });
  });

  it('is sent in seconds, or null for "none"', () => {
    const seconds = (patch: Partial<RuleForm>) => {
      const r = formToSpec(filled(patch));
      return r.ok ? r.spec.repeat_interval_seconds : r.errors;
    };
    expect(seconds({ repeatUnit: 'none', repeatValue: 'x' })).toBeNull();
    expect(seconds({ repeatUnit: 'minutes', repeatValue: '30' })).toBe(1800);
    expect(seconds({ repeatUnit: 'hours', repeatValue: '6' })).toBe(21600);
    expect(seconds({ repeatUnit: 'hours', repeatValue: '169' })).toEqual({ repeat_interval_seconds: expect.stringMatching(/1 week/) });
    expect(seconds({ repeatUnit: 'minutes', repeatValue: '0' })).toEqual({ repeat_interval_seconds: expect.any(String) });
  });
});

describe('validation before sending', () => {
  const errors = (patch: Partial<RuleForm>) => {
    const r = formToSpec(filled(patch));
    return r.ok ? {} : r.errors;
  };

  it('names the fields by their API body path', () => {
    expect(Object.keys(errors({ name: ' ', eventType: '' }))).toEqual(['name', 'event_type']);
    expect(errors({ thresholdValue: '' })).toEqual({ 'condition.value': 'Required.' });
    expect(errors({ thresholdValue: 'abc' })).toEqual({ 'condition.value': 'Must be a number.' });
    expect(errors({ pendingEvaluations: '1.5' })).toEqual({ pending_evaluations: 'Must be a whole number.' });
  });

  it('asks for the numeric property of sum, avg, min and max', () => {
    for (const metric of ['sum', 'avg', 'min', 'max'] as const) {
      expect(Object.keys(errors({ metric, property: '' }))).toEqual(['property']);
    }
    expect(errors({ metric: 'max', property: '' }).property).toBe('Pick the numeric property to take the maximum of.');
    expect(errors({ metric: 'unique_users', property: '' })).toEqual({});
  });

  it('checks what each condition can take', () => {
    expect(errors({ thresholdOperator: 'below', thresholdValue: '0' })['condition.value']).toMatch(/absence/);
    expect(errors({ kind: 'change', changeValue: '0' })['condition.value']).toMatch(/more than 0/);
    expect(errors({ kind: 'change', changeDirection: 'down', changeMode: 'percent', changeValue: '150' })['condition.value']).toMatch(/100%/);
    expect(errors({ kind: 'change', changeDirection: 'up', changeMode: 'percent', changeValue: '150' })).toEqual({});
    expect(errors({ kind: 'anomaly', anomalyWeeks: '1', anomalySensitivity: '11' })).toEqual({
      'condition.weeks': 'Must be at least 2.',
      'condition.sensitivity': 'Must be at most 10.',
    });
    expect(errors({ kind: 'anomaly', anomalyMinBaseline: '-1' })).toEqual({ 'condition.min_baseline': 'Must be at least 0.' });
    expect(errors({ kind: 'absence', thresholdValue: 'ignored' })).toEqual({});
  });
});

describe('threshold values against the metric', () => {
  const errors = (patch: Partial<RuleForm>) => {
    const r = formToSpec(filled({ kind: 'threshold', property: 'amount', ...patch }));
    return r.ok ? {} : r.errors;
  };

  it.each([
    ['count', 'above', '-1', 'A count is never below 0: use 0 or more'],
    ['unique_users', 'below', '-0.5', 'Unique users are never below 0: use 0 or more'],
    ['count', 'below', '0', 'A count is never below 0: use an absence condition'],
    ['unique_users', 'below', '0', 'Unique users are never below 0: use an absence condition'],
  ] as const)('refuses %s %s %s, naming the metric', (metric, thresholdOperator, thresholdValue, words) => {
    expect(errors({ metric, thresholdOperator, thresholdValue })['condition.value']).toContain(words);
  });

  it.each([
    ['sum', 'below', '-100'],
    ['sum', 'above', '-50.5'],
    ['avg', 'below', '0'],
    ['min', 'below', '-1000'],
    ['max', 'above', '-1'],
    ['count', 'above', '0'],
    ['count', 'below', '1'],
  ] as const)('takes %s %s %s, and sends it as a number', (metric, thresholdOperator, thresholdValue) => {
    const r = formToSpec(filled({ kind: 'threshold', property: 'amount', metric, thresholdOperator, thresholdValue }));
    expect(r.ok && r.spec.condition).toEqual({ kind: 'threshold', operator: thresholdOperator, value: Number(thresholdValue) });
  });
});

describe('readNumber', () => {
  it('reads or explains', () => {
    expect(readNumber(' 42 ')).toBe(42);
    expect(readNumber('')).toBe('Required.');
    expect(readNumber('1e3', { max: 100 })).toBe('Must be at most 100.');
  });
});
