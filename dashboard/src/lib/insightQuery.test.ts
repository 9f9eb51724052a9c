import { describe, expect, it } from 'vitest';
import { missingPart, parseInsightQuery, serialiseInsightQuery, trendRequest, type InsightQuery } from './insightQuery';

const parse = (qs: string) => parseInsightQuery(new URLSearchParams(qs), 'Europe/Paris');
const PLAN_PRO = JSON.stringify({ property: 'plan', op: 'eq', value: 'pro' });
const AMOUNT_GT = JSON.stringify({ property: 'amount', op: 'gt', value: 10 });

describe('the insight in the URL', () => {
  it('defaults: no type, count, last 7 days at 1h, top 10, browser zone, no comparison', () => {
    expect(parse('view=insight')).toEqual({
      type: '',
      measure: 'count',
      property: '',
      breakdown: '',
      limit: 10,
      filters: [],
      interval: '1h',
      range: { kind: 'preset', preset: '7d' },
      tz: 'Europe/Paris',
      compare: false,
    });
  });

  it('reads every field, filters in order', () => {
    const qs = new URLSearchParams([
      ['type', 'checkout'], ['measure', 'sum'], ['property', 'amount'], ['breakdown', 'plan'], ['limit', '5'],
      ['filter', PLAN_PRO], ['filter', AMOUNT_GT], ['interval', '1d'], ['range', '30d'], ['tz', 'America/New_York'], ['compare', 'previous'],
    ]);
    expect(parse(qs.toString())).toEqual({
      type: 'checkout',
      measure: 'sum',
      property: 'amount',
      breakdown: 'plan',
      limit: 5,
      filters: [
        { property: 'plan', op: 'eq', value: 'pro' },
        { property: 'amount', op: 'gt', value: 10 },
      ],
      interval: '1d',
      range: { kind: 'preset', preset: '30d' },
      tz: 'America/New_York',
      compare: true,
    });
  });

  it('round-trips exactly: the same URL, and the same query from it', () => {
    const q: InsightQuery = {
      type: 'checkout',
      measure: 'avg',
      property: 'amount',
      breakdown: 'plan',
      limit: 25,
      filters: [
        { property: 'country', op: 'in', value: ['FR', 'DE'] },
        { property: 'coupon', op: 'is_not_set' },
        { property: 'note', op: 'contains', value: 'gift, wrapped' },
        { property: 'beta', op: 'eq', value: true },
      ],
      interval: '1m',
      range: { kind: 'custom', from: '2026-03-29T00:00:00Z', to: '2026-03-30T00:00:00Z' },
      tz: 'Europe/Paris',
      compare: true,
    };
    const url = serialiseInsightQuery(q).toString();
    expect(parse(url)).toEqual(q);
    expect(serialiseInsightQuery(parse(url)).toString()).toBe(url);
    expect(url.startsWith('view=insight&type=checkout&measure=avg&property=amount&breakdown=plan&limit=25')).toBe(true);
  });

  it('leaves out what does not apply: the property of a count, the limit without a breakdown', () => {
    expect(parse('measure=count&property=amount').property).toBe('');
    const url = serialiseInsightQuery({ ...parse('type=a&measure=count&limit=5'), property: 'amount' });
    expect(url.has('property')).toBe(false);
    expect(url.has('limit')).toBe(false);
  });

  it('falls back on unknown values and drops broken filters, instead of failing', () => {
    const f = parse(`type=a&measure=median&limit=99&interval=2m&tz=Mars/Base&filter=nope&filter=${encodeURIComponent('{"property":"x","op":"like","value":1}')}&filter=${encodeURIComponent(PLAN_PRO)}`);
    expect(f.measure).toBe('count');
    expect(f.limit).toBe(25);
    expect(f.interval).toBe('1h');
    expect(f.tz).toBe('Europe/Paris');
    expect(f.filters).toEqual([{ property: 'plan', op: 'eq', value: 'pro' }]);
  });

  it('keeps at most 5 filters', () => {
    const qs = new URLSearchParams(Array.from({ length: 7 }, (_, i) => ['filter', JSON.stringify({ property: `p${i}`, op: 'is_set' })]));
    expect(parse(qs.toString()).filters.map((f) => f.property)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('says what is missing before asking', () => {
    expect(missingPart(parse(''))).toBe('Pick an event type.');
    expect(missingPart(parse('type=a&measure=max'))).toBe('Pick the numeric property to measure.');
    expect(missingPart(parse('type=a&measure=max&property=n'))).toBeNull();
  });
});

describe('the trend request', () => {
  const q = parse(`type=checkout&measure=sum&property=amount&breakdown=plan&limit=5&filter=${encodeURIComponent(PLAN_PRO)}&filter=${encodeURIComponent(AMOUNT_GT)}&interval=1h&range=custom&from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z&tz=UTC`);

  it('names every contract parameter, filters repeated', () => {
    expect(trendRequest(q, 0)).toEqual({
      type: 'checkout',
      start: '2026-12-01T00:00:00Z',
      end: '2026-12-08T00:00:00Z',
      interval: '1h',
      tz: 'UTC',
      measure: 'sum',
      property: 'amount',
      breakdown: 'plan',
      limit: 5,
      filter: { repeated: [PLAN_PRO, AMOUNT_GT] },
    });
  });

  it('asks for the range shifted back for the previous period', () => {
    const week = 7 * 86_400_000;
    expect(trendRequest(q, 0, week)).toMatchObject({ start: '2026-11-24T00:00:00Z', end: '2026-12-01T00:00:00Z' });
  });

  it('resolves a preset at the moment of asking', () => {
    const now = Date.parse('2026-12-07T14:30:12.345Z');
    expect(trendRequest(parse('type=a&range=24h'), now)).toMatchObject({ start: '2026-12-06T14:30:12Z', end: '2026-12-07T14:30:12Z', property: null, breakdown: null, limit: null });
  });
});
