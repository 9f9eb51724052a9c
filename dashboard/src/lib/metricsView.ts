import { DEFAULT_LIMIT, serialiseInsightQuery, type InsightQuery } from './insightQuery';
import { serialiseMetricsFilters, type MetricsFilters } from './metricsFilters';

export type MetricsView = 'types' | 'insight';

/**
 * The URL of the other view, carrying over what both share: the range, interval, zone and comparison,
 * and the event type (the first of the types chart; the insight's one type the other way).
 */
export function switchView(to: MetricsView, filters: MetricsFilters, query: InsightQuery): URLSearchParams {
  if (to === 'insight') {
    const { interval, range, tz, compare } = filters;
    const type = filters.types[0] ?? '';
    return serialiseInsightQuery({ type, measure: 'count', property: '', breakdown: '', limit: DEFAULT_LIMIT, filters: [], interval, range, tz, compare });
  }
  const { interval, range, tz, compare } = query;
  return serialiseMetricsFilters({ types: query.type ? [query.type] : [], metric: 'count', interval, range, tz, compare });
}
