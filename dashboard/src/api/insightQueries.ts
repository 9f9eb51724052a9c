import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { trendRequest, type InsightQuery } from '../lib/insightQuery';
import { useApi } from './useApi';
import type { CatalogDetail, RollupAnswer, RollupMarks, TrendResponse } from './types';

/**
 * GET /v1/insights/trend. `shiftMs` asks for the range that far back (the previous period); the key
 * holds the relative range, so each refetch asks for "up to now" (or "up to now − shift").
 */
export function useTrend(query: InsightQuery, options: { refetchMs: number | false; enabled: boolean; shiftMs?: number }) {
  const api = useApi();
  const shiftMs = options.shiftMs ?? 0;
  return useQuery({
    queryKey: ['insights:trend', query, shiftMs],
    queryFn: ({ signal }) => api.call<TrendResponse>('/v1/insights/trend', { query: trendRequest(query, Date.now(), shiftMs), signal }),
    enabled: api.enabled && options.enabled,
    placeholderData: keepPreviousData,
    refetchInterval: options.refetchMs,
  });
}

/**
 * PUT /v1/catalog/{name}/properties/{property}/rollup. The answer's state goes into the cached detail at
 * once (the box does not flick back while the detail is read again), then the detail is read again.
 */
export function useSetRollup(name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ property, marks }: { property: string; marks: RollupMarks }) =>
      api.call<RollupAnswer>(`/v1/catalog/${encodeURIComponent(name)}/properties/${encodeURIComponent(property)}/rollup`, {
        method: 'PUT',
        body: marks,
      }),
    onSuccess: (answer) =>
      queryClient.setQueryData<CatalogDetail>(['catalog-item', name], (old) =>
        old && { ...old, properties: old.properties.map((p) => (p.name === answer.property ? { ...p, rollup: answer.rollup } : p)) },
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['catalog-item', name] }),
  });
}
