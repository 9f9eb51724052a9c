import type { RuleSpec } from '../api/types';
import { needsProperty, serialiseInsightQuery } from './insightQuery';

/**
 * Where a rule's event type links to: the types chart for a plain count or unique-users rule (as
 * before), the insight builder for a summed or filtered one, so the chart shows what the rule watches.
 */
export function ruleChartLink(rule: Pick<RuleSpec, 'event_type' | 'metric' | 'property' | 'filters'>, tz: string): string {
  const filters = rule.filters ?? [];
  if ((rule.metric === 'count' || rule.metric === 'unique_users') && filters.length === 0) {
    return `/metrics?${new URLSearchParams({ types: rule.event_type, metric: rule.metric, range: '24h' })}`;
  }
  const params = serialiseInsightQuery({
    type: rule.event_type,
    measure: rule.metric,
    property: needsProperty(rule.metric) ? (rule.property ?? '') : '',
    breakdown: '',
    limit: 10,
    filters: [...filters],
    interval: '1h',
    range: { kind: 'preset', preset: '24h' },
    tz,
    compare: false,
  });
  return `/metrics?${params}`;
}
