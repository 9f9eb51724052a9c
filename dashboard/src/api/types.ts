// Mirrors dashboard/API.md. Timestamps are ISO-8601 UTC strings unless the name ends in `_ms`.

export type IsoTime = string;

export type Scope = 'ingest' | 'read' | 'admin';
export type Metric = 'count' | 'unique_users';
export type Interval = '1m' | '5m' | '1h' | '1d';
export type CatalogStatus = 'planned' | 'unplanned' | 'blocked';
export type DeadLetterStatus = 'new' | 'replayed' | 'discarded';
export type DeadLetterStatusFilter = DeadLetterStatus | 'all';
export type KeyStatus = 'active' | 'revoked';
export type AlertState = 'OK' | 'PENDING' | 'FIRING' | 'RESOLVED' | 'NODATA';

export interface ApiErrorBody {
  error: { code: string; message: string; field: string | null };
  request_id: string;
  trace_id: string;
}

export interface Freshness {
  complete_up_to: IsoTime | null;
  lag_seconds: number | null;
}

// GET /v1/session
export interface Session {
  tenant: { id: string; slug: string; name: string };
  project: { id: string; slug: string; name: string };
  key: { id: string; display_prefix: string; scopes: Scope[] };
}

// GET /v1/metrics/series
export interface SeriesLine {
  event_type: string;
  /** One value per bucket, aligned with buckets_ms. */
  v: number[];
}

export interface SeriesResponse {
  metric: Metric;
  interval: Interval;
  tz: string;
  from: IsoTime;
  to: IsoTime;
  buckets_ms: number[];
  series: SeriesLine[];
  freshness: Freshness;
  sources: { hot_from: IsoTime | null };
}

// GET /v1/metrics/summary
export interface TopType {
  event_type: string;
  count: number;
  previous_count: number;
  change_pct: number | null;
}

export interface SummaryResponse {
  from: IsoTime;
  to: IsoTime;
  previous_from: IsoTime;
  previous_to: IsoTime;
  total: number;
  previous_total: number;
  change_pct: number | null;
  event_types_seen: number;
  top_types: TopType[];
  freshness: Freshness;
}

// GET /v1/events
export interface EventListItem {
  event_id: string;
  event_type: string;
  user_id: string | null;
  anonymous_id: string | null;
  occurred_at: IsoTime;
  received_at: IsoTime;
  is_late: boolean;
  properties_preview: string;
}

export interface EventListResponse {
  events: EventListItem[];
  next_cursor: string | null;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// GET /v1/events/{event_id}?at=
export interface EventDetail {
  event_id: string;
  event_type: string;
  project_id: string;
  user_id: string | null;
  anonymous_id: string | null;
  occurred_at: IsoTime;
  client_timestamp: IsoTime | null;
  sent_at: IsoTime | null;
  received_at: IsoTime;
  is_late: boolean;
  properties: JsonObject;
  context: JsonObject;
  trace_id: string | null;
  kafka: { partition: number; offset: number } | null;
}

// GET /v1/catalog
export interface CatalogItem {
  name: string;
  status: CatalogStatus;
  description: string;
  owner: string | null;
  first_seen_at: IsoTime | null;
  last_seen_at: IsoTime | null;
  volume_total: number;
  property_count: number;
}

export interface CatalogResponse {
  event_types: CatalogItem[];
}

// GET /v1/catalog/{name}
export interface CatalogProperty {
  name: string;
  types: string[];
  first_seen_at: IsoTime;
  last_seen_at: IsoTime;
}

export interface CatalogDetail extends CatalogItem {
  properties: CatalogProperty[];
  created_at: IsoTime;
  updated_at: IsoTime;
}

// PATCH /v1/catalog/{name}
export interface CatalogPatch {
  description?: string;
  owner?: string | null;
  status?: CatalogStatus;
}

// GET /v1/dead-letters
export interface DeadLetter {
  id: number;
  reason_code: string;
  error_text: string;
  source: { topic: string; partition: number; offset: number };
  received_at: IsoTime;
  status: DeadLetterStatus;
  replayed_at: IsoTime | null;
  value_preview: string;
  headers: [string, string][];
}

export interface DeadLetterResponse {
  dead_letters: DeadLetter[];
  counts_by_reason: Record<string, number>;
  next_cursor: string | null;
}

// POST /v1/dead-letters/replay
export interface ReplayResponse {
  replayed: number;
  ids: number[];
}

// GET /v1/keys
export interface ApiKey {
  id: string;
  name: string;
  display_prefix: string;
  scopes: Scope[];
  project: { id: string; slug: string };
  created_at: IsoTime;
  last_used_at: IsoTime | null;
  revoked_at: IsoTime | null;
  status: KeyStatus;
}

export interface KeysResponse {
  keys: ApiKey[];
}

// POST /v1/keys
export interface CreateKeyRequest {
  name: string;
  scopes: Scope[];
  project?: string;
}

export interface CreateKeyResponse {
  key: ApiKey;
  secret: string;
}

// GET /v1/alerts
export interface AlertRule {
  id: string;
  name: string;
  event_type: string;
  metric: Metric;
  condition_kind: string;
  severity: string;
  enabled: boolean;
  state: AlertState;
  since: IsoTime;
}

export interface AlertsResponse {
  rules: AlertRule[];
}
