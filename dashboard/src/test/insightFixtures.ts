// Answers in the shapes of issue 18's contracts (GET /v1/insights/trend, the catalog's rollup state).
import type { CatalogDetail, TrendResponse } from '../api/types';
import type { Call, Handler } from './api';
import { apiError, sessionWith } from './api';

export const admin: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read', 'admin']) } : undefined);
export const noAlerts: Handler = (c) => (c.path === '/v1/alerts' ? { status: 200, body: { rules: [] } } : undefined);

const AT = '2026-12-01T00:00:00Z';
export const CHECKOUT: CatalogDetail = {
  name: 'checkout', status: 'planned', description: '', owner: null, volume_total: 100, property_count: 3,
  first_seen_at: AT, last_seen_at: AT, first_event_at: AT, last_event_at: AT, created_at: AT, updated_at: AT,
  properties: [
    { name: 'plan', types: ['string'], first_seen_at: AT, last_seen_at: AT, rollup: { dimension: { active_from: AT, backfilled_at: AT, capped_at: null }, measure: null } },
    { name: 'amount', types: ['number'], first_seen_at: AT, last_seen_at: AT, rollup: { dimension: null, measure: { active_from: AT, backfilled_at: null, capped_at: null } } },
    { name: 'session', types: ['string'], first_seen_at: AT, last_seen_at: AT, rollup: { dimension: { active_from: AT, backfilled_at: AT, capped_at: '2026-12-02T00:00:00Z' }, measure: null } },
  ],
};

export const catalog: Handler = (c) => {
  if (c.path === '/v1/catalog') return { status: 200, body: { event_types: [CHECKOUT] } };
  if (c.path === '/v1/catalog/checkout' && c.method === 'GET') return { status: 200, body: CHECKOUT };
  return undefined;
};

/** Hour buckets from `start`, values by breakdown: pro 5, free 3, Other 1 per bucket (halved for a range in November). */
export function trendAnswer(c: Call): TrendResponse {
  const start = Date.parse(c.query.get('start') ?? '');
  const end = Date.parse(c.query.get('end') ?? '');
  const hours = Math.max(0, Math.min(48, Math.ceil((end - start) / 3_600_000)));
  const buckets = Array.from({ length: hours }, (_, i) => new Date(Math.floor(start / 3_600_000) * 3_600_000 + i * 3_600_000).toISOString());
  const scale = new Date(start).getUTCMonth() === 10 ? 0.5 : 1;
  const line = (key: string | null, label: string, v: number) => ({ key, label, total: v * hours * scale, points: buckets.map((b) => ({ bucket_start: b, value: v * scale })) });
  const breakdown = c.query.get('breakdown');
  return {
    type: c.query.get('type') ?? '', measure: (c.query.get('measure') ?? 'count') as TrendResponse['measure'], property: c.query.get('property'),
    breakdown, interval: (c.query.get('interval') ?? '1h') as TrendResponse['interval'], time_zone: c.query.get('tz') ?? 'UTC',
    start: c.query.get('start') ?? '', end: c.query.get('end') ?? '', source: breakdown === 'plan' ? 'rollup' : 'raw',
    series: breakdown ? [line('pro', 'pro', 5), line('free', 'free', 3), line('$other', 'Other', 1)] : [line(null, 'All', 9)],
    freshness: { complete_up_to: null, lag_seconds: null },
  };
}

export const trend: Handler = (c) => (c.path === '/v1/insights/trend' ? { status: 200, body: trendAnswer(c) } : undefined);

export const refusedFilter: Handler = (c) =>
  c.path === '/v1/insights/trend' && c.query.getAll('filter').length > 0
    ? apiError(422, 'invalid_filter', "'filter[0].value' must be a number for 'gt'", 'filter[0].value')
    : undefined;
