import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { EventsFilters } from '../lib/eventsFilters';
import { personQuery, type PersonRef } from '../lib/people';
import { funnelApiParams, type FunnelQuery } from '../lib/funnelQuery';
import type { CatalogFilters, DeadLetterFilters } from '../lib/listFilters';
import { resolveExplorerRange, resolveRange, type RangeSpec } from '../lib/range';
import { isoUtc } from '../lib/time';
import { useApi } from './useApi';
import { ALERTS_REFRESH_MS } from '../lib/alerts';
import { listItemOf } from '../lib/alertsList';
import type {
  AlertHistoryResponse,
  AlertsResponse,
  CatalogDetail,
  CatalogPatch,
  CatalogResponse,
  CreateKeyRequest,
  CreateKeyResponse,
  CreateWebhookRequest,
  CreateWebhookResponse,
  DeadLetterResponse,
  DeliveriesResponse,
  EventDetail,
  EventListResponse,
  PersonEventsResponse,
  PersonProfile,
  FunnelResponse,
  Interval,
  KeysResponse,
  Metric,
  ApiKey,
  ReplayResponse,
  RuleDetail,
  RulePatch,
  RuleSpec,
  Session,
  SeriesResponse,
  SummaryResponse,
  WebhookDelivery,
  WebhookEndpoint,
  WebhooksResponse,
} from './types';

/** Polling period of the "live" views. */
export const LIVE_REFRESH_MS = 5_000;



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

/** `shiftMs` asks for the range that far back: the previous period of a comparison (lib/previousPeriod.ts). */
export function useSeries(params: SeriesParams, options: { refetchMs: number | false; enabled?: boolean; shiftMs?: number }) {
  const api = useApi();
  const shiftMs = options.shiftMs ?? 0;
  return useQuery({
    queryKey: shiftMs === 0 ? ['series', params] : ['series', params, shiftMs],
    queryFn: ({ signal }) => {
      const { fromMs, toMs } = resolveRange(params.range, Date.now());
      const [from, to] = [isoUtc(fromMs - shiftMs), isoUtc(toMs - shiftMs)];
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

export function usePersonProfile(ref: PersonRef) {
  const api = useApi();
  return useQuery({
    queryKey: ['people:profile', ref],
    queryFn: ({ signal }) => api.call<PersonProfile>('/v1/people/profile', { query: personQuery(ref), signal }),
    enabled: api.enabled,
    staleTime: 30_000,
  });
}

export function usePersonEvents(ref: PersonRef, cursor: string | null, limit = 50) {
  const api = useApi();
  return useQuery({
    queryKey: ['people:events', ref, cursor, limit],
    queryFn: ({ signal }) =>
      api.call<PersonEventsResponse>('/v1/people/events', { query: { ...personQuery(ref), cursor, limit }, signal }),
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    // A page is a snapshot to read through, like the explorer's.
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

const ALL_CATALOG: CatalogFilters = { status: '', q: '' };

/** Every type in the catalog, unfiltered: one cached query shared by the pickers and the type colours. */
export function useAllEventTypes() {
  return useCatalog(ALL_CATALOG);
}

export function useCatalogItem(name: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['catalog-item', name],
    queryFn: ({ signal }) => api.call<CatalogDetail>(`/v1/catalog/${encodeURIComponent(name)}`, { signal }),
    enabled: api.enabled && enabled,
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

/** Whether the signed-in key may change things; undefined until the session is known. */
export function useIsAdmin(): boolean | undefined {
  const session = useSession();
  return session.data ? session.data.key.scopes.includes('admin') : undefined;
}

export function useAlerts() {
  const api = useApi();
  return useQuery({
    queryKey: ['alerts'],
    queryFn: ({ signal }) => api.call<AlertsResponse>('/v1/alerts', { signal }),
    enabled: api.enabled,
    placeholderData: keepPreviousData,
    refetchInterval: ALERTS_REFRESH_MS,
  });
}

const rulePath = (id: string) => `/v1/alerts/${encodeURIComponent(id)}`;

export function useAlertRule(id: string, refetchMs: number | false = false) {
  const api = useApi();
  return useQuery({
    queryKey: ['alert', id],
    queryFn: ({ signal }) => api.call<RuleDetail>(rulePath(id), { signal }),
    enabled: api.enabled && id !== '',
    staleTime: 15_000,
    refetchInterval: refetchMs,
  });
}

export function useAlertHistory(id: string, cursor: string | null, limit = 50) {
  const api = useApi();
  return useQuery({
    queryKey: ['alert-history', id, cursor, limit],
    queryFn: ({ signal }) => api.call<AlertHistoryResponse>(`${rulePath(id)}/history`, { query: { cursor, limit }, signal }),
    enabled: api.enabled && id !== '',
    placeholderData: keepPreviousData,
    // The first page grows as the rule moves; later pages are a stable keyset snapshot.
    refetchInterval: cursor === null ? ALERTS_REFRESH_MS : false,
  });
}

/**
 * A saved rule replaces its cached detail and its list row at once (a toggle does not flick back
 * while the list is refetched); the list and history are then asked again.
 */
function useRuleSaved() {
  const queryClient = useQueryClient();
  return (rule: RuleDetail) => {
    queryClient.setQueryData(['alert', rule.id], rule);
    queryClient.setQueryData<AlertsResponse>(['alerts'], (old) => {
      if (!old) return old;
      const exists = old.rules.some((r) => r.id === rule.id);
      return { rules: exists ? old.rules.map((r) => (r.id === rule.id ? listItemOf(rule) : r)) : [...old.rules, listItemOf(rule)] };
    });
    void queryClient.invalidateQueries({ queryKey: ['alerts'] });
    void queryClient.invalidateQueries({ queryKey: ['alert-history', rule.id] });
  };
}

export function useCreateAlertRule() {
  const api = useApi();
  const saved = useRuleSaved();
  return useMutation({
    mutationFn: (spec: RuleSpec) => api.call<RuleDetail>('/v1/alerts', { method: 'POST', body: spec }),
    onSuccess: saved,
  });
}

export function useReplaceAlertRule(id: string) {
  const api = useApi();
  const saved = useRuleSaved();
  return useMutation({
    mutationFn: (spec: RuleSpec) => api.call<RuleDetail>(rulePath(id), { method: 'PUT', body: spec }),
    onSuccess: saved,
  });
}

export function usePatchAlertRule(id: string) {
  const api = useApi();
  const saved = useRuleSaved();
  return useMutation({
    mutationFn: (patch: RulePatch) => api.call<RuleDetail>(rulePath(id), { method: 'PATCH', body: patch }),
    onSuccess: saved,
  });
}

export function useDeleteAlertRule(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.call<void>(rulePath(id), { method: 'DELETE' }),
    onSuccess: () => {
      queryClient.setQueryData<AlertsResponse>(['alerts'], (old) => old && { rules: old.rules.filter((r) => r.id !== id) });
      queryClient.removeQueries({ queryKey: ['alert', id] });
      queryClient.removeQueries({ queryKey: ['alert-history', id] });
      void queryClient.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
}

export function useWebhooks(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['webhooks'],
    queryFn: ({ signal }) => api.call<WebhooksResponse>('/v1/webhooks', { signal }),
    enabled: api.enabled && enabled,
    staleTime: 15_000,
  });
}

function upsertEndpoint(list: WebhooksResponse | undefined, endpoint: WebhookEndpoint): WebhooksResponse | undefined {
  if (!list) return list;
  const exists = list.endpoints.some((e) => e.id === endpoint.id);
  return { endpoints: exists ? list.endpoints.map((e) => (e.id === endpoint.id ? endpoint : e)) : [endpoint, ...list.endpoints] };
}

export function useCreateWebhook() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateWebhookRequest) => api.call<CreateWebhookResponse>('/v1/webhooks', { method: 'POST', body }),
    onSuccess: (created) => {
      queryClient.setQueryData<WebhooksResponse>(['webhooks'], (old) => upsertEndpoint(old, created.endpoint));
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
}

export function useDisableWebhook() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call<WebhookEndpoint>(`/v1/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: (endpoint) => {
      queryClient.setQueryData<WebhooksResponse>(['webhooks'], (old) => upsertEndpoint(old, endpoint));
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
      // Rules may still name it as a channel: their details say so on the next look.
      void queryClient.invalidateQueries({ queryKey: ['alert'] });
    },
  });
}

export function useWebhookDeliveries(id: string, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: ['webhook-deliveries', id],
    queryFn: ({ signal }) => api.call<DeliveriesResponse>(`/v1/webhooks/${encodeURIComponent(id)}/deliveries`, { signal }),
    enabled: api.enabled && enabled,
    refetchInterval: enabled ? 15_000 : false,
  });
}

/** Sends a delivery's notification again (same webhook id, fresh signature); the logs show the new attempt. */
export function useRedeliver() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: number) =>
      api.call<WebhookDelivery>(`/v1/deliveries/${deliveryId}/redeliver`, { method: 'POST' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['webhook-deliveries'] });
      void queryClient.invalidateQueries({ queryKey: ['alert-history'] });
    },
  });
}

/** One funnel run; the key holds the relative range, so the same URL asks "up to now" again on a refetch. */
export function useFunnel(query: FunnelQuery, enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: ['insights:funnel', query],
    // The API takes `step` repeated, which the client's comma-joined arrays cannot express.
    queryFn: ({ signal }) => api.call<FunnelResponse>(`/v1/insights/funnel?${funnelApiParams(query, Date.now())}`, { signal }),
    enabled: api.enabled && enabled,
    placeholderData: keepPreviousData,
  });
}
