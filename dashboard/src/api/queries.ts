import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useAuth } from '../auth/AuthContext';
import type { EventsFilters } from '../lib/eventsFilters';
import type { CatalogFilters, DeadLetterFilters } from '../lib/listFilters';
import { resolveExplorerRange, resolveRange, type RangeSpec } from '../lib/range';
import { apiRequest, type RequestOptions } from './client';
import type {
  AlertsResponse,
  CatalogDetail,
  CatalogPatch,
  CatalogResponse,
  CreateKeyRequest,
  CreateKeyResponse,
  DeadLetterResponse,
  EventDetail,
  EventListResponse,
  Interval,
  KeysResponse,
  Metric,
  ApiKey,
  ReplayResponse,
  Session,
  SeriesResponse,
  SummaryResponse,
} from './types';

/** Polling period of the "live" views. */
export const LIVE_REFRESH_MS = 5_000;

function useApi() {
  const { apiKey } = useAuth();
  return {
    enabled: apiKey !== null,
    call: <T>(path: string, options?: RequestOptions) => apiRequest<T>(apiKey ?? '', path, options),
  };
}

export function useSession() {
  const api = useApi();
  return useQuery({
    queryKey: ['session'],
    queryFn: ({ signal }) => api.call<Session>('/v1/session', { signal }),
    enabled: api.enabled,
    staleTime: 60_000,
  });
}

export function useSummary(range: RangeSpec, limit: number, refetchMs: number | false = LIVE_REFRESH_MS) {
  const api = useApi();
  return useQuery({
    // The key holds the relative range, not instants: each poll asks for "up to now" on the same entry.
    queryKey: ['summary', range, limit],
    queryFn: ({ signal }) => {
      const { from, to } = resolveRange(range, Date.now());
      return api.call<SummaryResponse>('/v1/metrics/summary', { query: { from, to, limit }, signal });
    },
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    refetchInterval: refetchMs,
  });
}

export interface SeriesParams {
  types: string[];
  metric: Metric;
  interval: Interval;
  range: RangeSpec;
  tz: string;
}

export function useSeries(params: SeriesParams, options: { refetchMs: number | false; enabled?: boolean }) {
  const api = useApi();
  return useQuery({
    queryKey: ['series', params],
    queryFn: ({ signal }) => {
      const { from, to } = resolveRange(params.range, Date.now());
      const { types, metric, interval, tz } = params;
      return api.call<SeriesResponse>('/v1/metrics/series', { query: { types, metric, interval, from, to, tz }, signal });
    },
    enabled: api.enabled && params.types.length > 0 && (options.enabled ?? true),
    placeholderData: keepPreviousData,
    refetchInterval: options.refetchMs,
  });
}

export function useEvents(filters: EventsFilters, cursor: string | null, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['events', filters, cursor],
    queryFn: ({ signal }) => {
      const { from, to } = resolveExplorerRange(filters.range, Date.now());
      const withProperty = filters.property !== '';
      const query = {
        types: filters.types,
        user_id: filters.userId,
        from,
        to,
        property: withProperty ? filters.property : null,
        value: withProperty ? filters.value : null,
        limit: filters.limit,
        cursor,
      };
      return api.call<EventListResponse>('/v1/events', { query, signal });
    },
    enabled: api.enabled && enabled,
    placeholderData: keepPreviousData,
    // Pages are a stable snapshot to read through; "Refresh" asks again on demand.
    staleTime: 60_000,
    refetchOnWindowFocus: false,
  });
}

export function useEvent(eventId: string, at: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: ['event', eventId, at],
    queryFn: ({ signal }) =>
      api.call<EventDetail>(`/v1/events/${encodeURIComponent(eventId)}`, { query: { at }, signal }),
    enabled: api.enabled && at !== null,
    staleTime: Infinity,
  });
}

export function useCatalog(filters: CatalogFilters) {
  const api = useApi();
  return useQuery({
    queryKey: ['catalog', filters],
    queryFn: ({ signal }) =>
      api.call<CatalogResponse>('/v1/catalog', { query: { status: filters.status, q: filters.q }, signal }),
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

export function useCatalogItem(name: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['catalog-item', name],
    queryFn: ({ signal }) => api.call<CatalogDetail>(`/v1/catalog/${encodeURIComponent(name)}`, { signal }),
    enabled: api.enabled,
  });
}

export function usePatchCatalog(name: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: CatalogPatch) =>
      api.call<CatalogDetail>(`/v1/catalog/${encodeURIComponent(name)}`, { method: 'PATCH', body: patch }),
    onSuccess: (detail) => {
      queryClient.setQueryData(['catalog-item', name], detail);
      void queryClient.invalidateQueries({ queryKey: ['catalog'] });
    },
  });
}

export function useDeadLetters(filters: DeadLetterFilters, cursor: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: ['dead-letters', filters, cursor],
    queryFn: ({ signal }) =>
      api.call<DeadLetterResponse>('/v1/dead-letters', {
        query: { reason: filters.reason, status: filters.status, limit: filters.limit, cursor },
        signal,
      }),
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    staleTime: 15_000,
  });
}

export function useReplayDeadLetters() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ids: number[]) =>
      api.call<ReplayResponse>('/v1/dead-letters/replay', { method: 'POST', body: { ids } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['dead-letters'] }),
  });
}

export function useKeys() {
  const api = useApi();
  return useQuery({
    queryKey: ['keys'],
    queryFn: ({ signal }) => api.call<KeysResponse>('/v1/keys', { signal }),
    enabled: api.enabled,
  });
}

/** Puts a changed key into the cached list at once, so the table never shows a stale status. */
function upsertKey(list: KeysResponse | undefined, key: ApiKey): KeysResponse | undefined {
  if (!list) return list;
  const exists = list.keys.some((k) => k.id === key.id);
  return { keys: exists ? list.keys.map((k) => (k.id === key.id ? key : k)) : [key, ...list.keys] };
}

export function useCreateKey() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateKeyRequest) => api.call<CreateKeyResponse>('/v1/keys', { method: 'POST', body }),
    onSuccess: (created) => {
      queryClient.setQueryData<KeysResponse>(['keys'], (old) => upsertKey(old, created.key));
      void queryClient.invalidateQueries({ queryKey: ['keys'] });
    },
  });
}

export function useRevokeKey() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call<ApiKey>(`/v1/keys/${encodeURIComponent(id)}/revoke`, { method: 'POST', body: {} }),
    onSuccess: (key) => {
      queryClient.setQueryData<KeysResponse>(['keys'], (old) => upsertKey(old, key));
      void queryClient.invalidateQueries({ queryKey: ['keys'] });
    },
  });
}

export function useAlerts() {
  const api = useApi();
  return useQuery({
    queryKey: ['alerts'],
    queryFn: ({ signal }) => api.call<AlertsResponse>('/v1/alerts', { signal }),
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}
