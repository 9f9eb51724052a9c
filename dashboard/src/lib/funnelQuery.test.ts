import { describe, expect, test } from 'vitest';
import {
  draftProblem,
  filterValueFromText,
  fromDraft,
  funnelApiParams,
  parseFunnelQuery,
  serialiseFunnelQuery,
  toDraft,
  type FunnelQuery,
} from './funnelQuery';

const QUERY: FunnelQuery = {
  steps: [
    { type: 'signup', filters: [{ property: 'plan', op: 'in', value: ['pro', 'team'] }] },
    { type: 'view', filters: [] },
    { type: 'checkout', filters: [{ property: 'amount', op: 'gt', value: 100 }, { property: 'coupon', op: 'is_not_set' }] },
  ],
  windowSeconds: 86_400,
  range: { kind: 'custom', from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' },
  breakdown: 'plan',
  limit: 10,
};

describe('the funnel in the URL', () => {
  test('round-trips the whole query, steps in order', () => {
    const params = serialiseFunnelQuery(QUERY);
    expect(params.getAll('step')).toHaveLength(3);
    expect(JSON.parse(params.getAll('step')[0] ?? '')).toEqual({ type: 'signup', filters: [{ property: 'plan', op: 'in', value: ['pro', 'team'] }] });
    expect(parseFunnelQuery(new URLSearchParams(params.toString()))).toEqual(QUERY);
  });

  test('a hand-edited URL falls back instead of failing', () => {
    const q = parseFunnelQuery(new URLSearchParams('step=nonsense&step={"type":"a","filters":[{"property":"p","op":"like"}]}&window=5&limit=99'));
    expect(q.steps).toEqual([{ type: 'a', filters: [] }, { type: '', filters: [] }]);
    expect(q.windowSeconds).toBe(60);
    expect(q.limit).toBe(25);
    expect(q.range).toEqual({ kind: 'preset', preset: '30d' });
  });

  test('asks the API with the step parameters repeated and the range resolved', () => {
    const api = funnelApiParams({ ...QUERY, range: { kind: 'preset', preset: '7d' } }, Date.parse('2026-12-07T12:00:00.400Z'));
    expect(api.getAll('step')).toHaveLength(3);
    expect([api.get('start'), api.get('end'), api.get('window'), api.get('breakdown')]).toEqual([
      '2026-11-30T12:00:00Z',
      '2026-12-07T12:00:00Z',
      '86400',
      'plan',
    ]);
  });
});

describe('filter values as typed', () => {
  test('read as the operator wants them', () => {
    expect(filterValueFromText('eq', '42')).toBe(42);
    expect(filterValueFromText('eq', 'pro')).toBe('pro');
    expect(filterValueFromText('eq', '"42"')).toBe('42');
    expect(filterValueFromText('in', 'pro, 3, true')).toEqual(['pro', 3, true]);
    expect(filterValueFromText('contains', '42')).toBe('42');
    expect(filterValueFromText('gt', '9.5')).toBe(9.5);
    expect(filterValueFromText('is_set', 'ignored')).toBeUndefined();
  });

  test('the editor draft turns back into the same steps', () => {
    expect(fromDraft(toDraft(QUERY.steps))).toEqual(QUERY.steps);
  });

  test('a step without a type or a comparison without a number cannot run', () => {
    expect(draftProblem([{ type: 'a', filters: [] }, { type: ' ', filters: [] }])).toBe('Step 2 needs an event type.');
    expect(draftProblem([{ type: 'a', filters: [{ property: 'n', op: 'gt', text: 'many' }] }, { type: 'b', filters: [] }])).toBe(
      'Step 1: "n" > needs a number.',
    );
    expect(draftProblem(toDraft(QUERY.steps))).toBeNull();
  });
});
