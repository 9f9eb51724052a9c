import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { ALERTS_REFRESH_MS } from '../lib/alerts';
import type { RuleChartPlan } from '../lib/ruleWindows';
import { isoUtc } from '../lib/time';
import type { RuleDetail, SeriesResponse } from './types';
import { useApi } from './useApi';

/**
 * The series behind a rule's chart: its event type and metric over the last windows, as `plan` says.
 * The range is taken when the request is made, so each poll moves it forward on the same cache entry.
 */
export function useRuleWindows(rule: Pick<RuleDetail, 'id' | 'event_type' | 'metric' | 'window_seconds'>, plan: RuleChartPlan | null) {
  const api = useApi();
  return useQuery({
    queryKey: ['rule-windows', rule.id, rule.event_type, rule.metric, plan],
    queryFn: ({ signal }) => {
      const to = Math.floor(Date.now() / 1000) * 1000;
      // UTC buckets: the evaluator's windows end on UTC minutes, so whole UTC hours and days are among them.
      const from = isoUtc(to - (plan?.spanMs ?? 0));
      const query = { types: [rule.event_type], metric: rule.metric, interval: plan?.interval, from, to: isoUtc(to), tz: 'UTC' };
      return api.call<SeriesResponse>('/v1/metrics/series', { query, signal });
    },
    enabled: api.enabled && plan !== null,
    placeholderData: keepPreviousData,
    refetchInterval: ALERTS_REFRESH_MS,
  });
}
