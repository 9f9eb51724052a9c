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
  /** Distinct users in [from, to): the union of the range's HyperLogLog sketches (exact up to 320). */
  unique_users_in_range: number;
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
  /** Receive time: when the platform first and last received this type. */
  first_seen_at: IsoTime | null;
  last_seen_at: IsoTime | null;
  /** Event time (corrected occurred_at): when the type's earliest and latest events happened. */
  first_event_at: IsoTime | null;
  last_event_at: IsoTime | null;
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
  /** Which rollups the property feeds (issue 18); absent from an API that predates them. */
  rollup?: PropertyRollup;
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

// GET /v1/alerts (every rule, whole, with its state)
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type ConditionKind = 'threshold' | 'change' | 'absence' | 'anomaly';
export type AlertDirection = 'up' | 'down' | 'either';
/** A rule watches what an insight measures (docs/insights.md, alerts on trends). */
export type AlertMetric = InsightMeasure;

/**
 * A listed rule: the whole rule (as GET /v1/alerts/{id} answers it: metric, property, filters, window,
 * condition, silence) plus its summary fields, flat. So the list describes each rule without reading it.
 */
export interface AlertRule extends RuleDetail {
  condition_kind: ConditionKind;
  state: AlertState;
  /** status.since: when the state last changed, as recorded. */
  since: IsoTime;
}

export interface AlertsResponse {
  rules: AlertRule[];
}

// Alert rule bodies (POST /v1/alerts, PUT /v1/alerts/{id})
export interface ThresholdCondition {
  kind: 'threshold';
  operator: 'above' | 'below';
  value: number;
}

export interface ChangeCondition {
  kind: 'change';
  direction: AlertDirection;
  mode: 'absolute' | 'percent';
  value: number;
}

export interface AbsenceCondition {
  kind: 'absence';
}

export interface AnomalyCondition {
  kind: 'anomaly';
  /** 2..12 past weeks. */
  weeks: number;
  /** 0.5..10 spreads. */
  sensitivity: number;
  direction: AlertDirection;
  min_baseline: number | null;
}

export type AlertCondition = ThresholdCondition | ChangeCondition | AbsenceCondition | AnomalyCondition;

export interface RuleSpec {
  name: string;
  description?: string;
  event_type: string;
  metric: AlertMetric;
  /** The numeric property of sum/avg/min/max; absent or null otherwise. */
  property?: string | null;
  /** At most 5, ANDed; absent means none. */
  filters?: PropertyFilter[];
  /** Whole minutes, 60..86400. */
  window_seconds: number;
  condition: AlertCondition;
  pending_evaluations: number;
  /** Null: notify once. */
  repeat_interval_seconds: number | null;
  notify_on_resolve: boolean;
  silenced_until: IsoTime | null;
  severity: AlertSeverity;
  enabled: boolean;
  /** Webhook endpoint ids. */
  channels: string[];
}

// PATCH /v1/alerts/{id}: settings only; null ends a silence or stops repeats.
export interface RulePatch {
  name?: string;
  description?: string;
  pending_evaluations?: number;
  repeat_interval_seconds?: number | null;
  notify_on_resolve?: boolean;
  silenced_until?: IsoTime | null;
  severity?: AlertSeverity;
  enabled?: boolean;
  channels?: string[];
}

// GET /v1/alerts/{id} (and the answer of POST, PUT and PATCH)
export interface RuleStatus {
  state: AlertState;
  since: IsoTime;
  consecutive_breaches: number;
  last_evaluated_bucket: IsoTime | null;
  last_notified_at: IsoTime | null;
}

export interface RuleDetail extends RuleSpec {
  id: string;
  description: string;
  created_at: IsoTime;
  updated_at: IsoTime;
  status: RuleStatus;
}

// GET /v1/alerts/{id}/history
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type NotificationStatus = 'pending' | 'sent' | 'suppressed';
/** What became of the notification, judged from the deliveries too (API.md, alert history). */
export type NotificationOutcome = 'pending' | 'retrying' | 'sent' | 'no_channels' | 'suppressed';

export interface WebhookDelivery {
  id: number;
  endpoint_id: string;
  alert_history_id: number;
  status: DeliveryStatus;
  attempts: number;
  error: string | null;
  created_at: IsoTime;
  delivered_at: IsoTime | null;
}

/**
 * What the evaluator compared against: the condition's terms (threshold, by, sensitivity...), plus the
 * numbers of that evaluation (previous window, band low/high) and a `reason` when it could not judge.
 */
export interface AlertExpected {
  kind?: ConditionKind;
  operator?: 'above' | 'below';
  threshold?: number;
  direction?: AlertDirection;
  mode?: 'absolute' | 'percent';
  by?: number;
  previous?: number;
  change?: number;
  at_least?: number;
  sensitivity?: number;
  weeks?: number;
  median?: number;
  mad?: number;
  low?: number;
  high?: number;
  reason?: string;
  weeks_available?: number;
  weeks_required?: number;
}

export interface AlertHistoryEntry {
  id: number;
  kind: 'transition' | 'repeat';
  from_state: AlertState;
  to_state: AlertState;
  observed_value: number | null;
  expected: AlertExpected | null;
  bucket_start: IsoTime;
  bucket_end: IsoTime;
  transition_key: string;
  trace_id: string | null;
  notification_status: NotificationStatus;
  notification_outcome: NotificationOutcome;
  notified_at: IsoTime | null;
  created_at: IsoTime;
  deliveries: WebhookDelivery[];
}

export interface AlertHistoryResponse {
  history: AlertHistoryEntry[];
  next_cursor: string | null;
}

// GET /v1/webhooks
export type WebhookStatus = 'pending' | 'active' | 'disabled';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  status: WebhookStatus;
  subscription_arn: string | null;
  created_at: IsoTime;
  disabled_at: IsoTime | null;
}

export interface WebhooksResponse {
  endpoints: WebhookEndpoint[];
}

// POST /v1/webhooks
export interface CreateWebhookRequest {
  url: string;
  description: string;
}

export interface CreateWebhookResponse {
  endpoint: WebhookEndpoint;
  secret: string;
}

// GET /v1/webhooks/{id}/deliveries
export interface DeliveriesResponse {
  deliveries: WebhookDelivery[];
}

// GET /v1/people/profile, /v1/people/events
export interface PersonProfile {
  person: {
    user_id: string | null;
    anonymous_ids: string[];
    first_seen: IsoTime;
    last_seen: IsoTime;
    event_count: number;
    counts_by_type: { type: string; count: number }[];
  };
  /** Set when the link named an anonymous id that is linked to a user: the answer is that user's. */
  resolved_from_anonymous_id: string | null;
}

export interface PersonEventsResponse extends EventListResponse {
  user_id: string | null;
  anonymous_ids: string[];
  resolved_from_anonymous_id: string | null;
}

// GET /v1/events/live
export interface LiveEventsResponse {
  events: EventListItem[];
  next_cursor: string;
  has_more: boolean;
  lateness_seconds: number;
}

// GET /v1/insights/funnel
export type FilterOp = 'eq' | 'neq' | 'in' | 'contains' | 'is_set' | 'is_not_set' | 'gt' | 'lt';

export interface FunnelFilter {
  property: string;
  op: FilterOp;
  value?: unknown;
}

export interface FunnelStepResult {
  type: string;
  filters: FunnelFilter[];
  count: number;
  /** 0..1; null when nobody entered. */
  conversion_from_first: number | null;
  conversion_from_previous: number | null;
  median_seconds_from_previous: number | null;
}

export interface FunnelBreakdown {
  /** The first step's property value (null: not set; "$other": every value past the top N). */
  key: unknown;
  label: string;
  steps: FunnelStepResult[];
}

export interface FunnelResponse {
  start: IsoTime;
  end: IsoTime;
  window_seconds: number;
  breakdown: string | null;
  steps: FunnelStepResult[];
  breakdowns: FunnelBreakdown[];
}

// Issue 18: insights (docs/insights.md)
export type InsightMeasure = 'count' | 'unique_users' | 'sum' | 'avg' | 'min' | 'max';
export type JsonScalar = string | number | boolean | null;

/** One property condition; `value` is absent for is_set / is_not_set, an array for `in`. */
export interface PropertyFilter {
  property: string;
  op: FilterOp;
  value?: JsonScalar | JsonScalar[];
}

// GET /v1/insights/trend
export interface TrendPoint {
  bucket_start: IsoTime;
  /** null: avg/min/max of a bucket with no value. */
  value: number | null;
}

export interface TrendSeries {
  /** The breakdown value (JSON), null without a breakdown or for "unset", "$other" for the rest. */
  key: JsonValue;
  label: string;
  total: number | null;
  points: TrendPoint[];
}

export interface TrendResponse {
  type: string;
  measure: InsightMeasure;
  property: string | null;
  breakdown: string | null;
  interval: Interval;
  time_zone: string;
  start: IsoTime;
  end: IsoTime;
  source: 'rollup' | 'raw';
  series: TrendSeries[];
  /** The tenant's watermark, read before the trend: buckets ending after it may still grow. */
  freshness: Freshness;
}

// Rollup marks: GET /v1/catalog/{name} (per property) and PUT /v1/catalog/{name}/properties/{property}/rollup
export interface RollupState {
  active_from: IsoTime;
  backfilled_at: IsoTime | null;
  capped_at: IsoTime | null;
}

export interface PropertyRollup {
  dimension: RollupState | null;
  measure: RollupState | null;
}

export interface RollupMarks {
  dimension: boolean;
  measure: boolean;
}

/** PUT /v1/catalog/{name}/properties/{property}/rollup's answer. */
export interface RollupAnswer {
  event_type: string;
  property: string;
  rollup: PropertyRollup;
}
