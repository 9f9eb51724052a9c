import type { AlertHistoryEntry, AlertRule, RuleDetail, WebhookEndpoint } from '../api/types';

export const R1 = '11111111-1111-4111-8111-111111111111';
export const R2 = '22222222-2222-4222-8222-222222222222';
export const EP_ACTIVE = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
export const EP_DISABLED = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';

const STATUS = { state: 'FIRING' as const, since: '2026-11-27T13:00:00Z', consecutive_breaches: 3, last_evaluated_bucket: '2026-11-27T13:05:00Z', last_notified_at: '2026-11-27T13:00:05Z' };

export const DETAILS: Record<string, RuleDetail> = {
  [R1]: {
    id: R1, name: 'Checkout spike', description: 'Pages the on-call', event_type: 'checkout', metric: 'count', window_seconds: 300,
    condition: { kind: 'threshold', operator: 'above', value: 100 }, pending_evaluations: 2, repeat_interval_seconds: 3600,
    notify_on_resolve: true, silenced_until: null, severity: 'critical', enabled: true, channels: [EP_ACTIVE],
    created_at: '2026-11-01T00:00:00Z', updated_at: '2026-11-02T00:00:00Z', status: STATUS,
  },
  [R2]: {
    id: R2, name: 'Signups stopped', description: '', event_type: 'signup', metric: 'count', window_seconds: 3600,
    condition: { kind: 'absence' }, pending_evaluations: 1, repeat_interval_seconds: null, notify_on_resolve: false,
    silenced_until: '2999-01-01T00:00:00Z', severity: 'warning', enabled: false, channels: [],
    created_at: '2026-11-01T00:00:00Z', updated_at: '2026-11-01T00:00:00Z', status: { ...STATUS, state: 'OK', consecutive_breaches: 0 },
  },
};

/** GET /v1/alerts: each rule whole (as DETAILS) with its summary fields flat. */
export const SUMMARY: AlertRule[] = [
  { ...(DETAILS[R1] as RuleDetail), condition_kind: 'threshold', state: 'FIRING', since: '2026-11-27T13:00:00Z' },
  { ...(DETAILS[R2] as RuleDetail), condition_kind: 'absence', state: 'OK', since: '2026-11-20T08:00:00Z' },
];

export const ENDPOINTS: WebhookEndpoint[] = [
  { id: EP_ACTIVE, url: 'https://hooks.example.com/a', description: 'pager', status: 'active', subscription_arn: 'arn:x', created_at: '2026-11-01T00:00:00Z', disabled_at: null },
  { id: EP_DISABLED, url: 'https://hooks.example.com/old', description: '', status: 'disabled', subscription_arn: null, created_at: '2026-10-01T00:00:00Z', disabled_at: '2026-10-02T00:00:00Z' },
];

export const HISTORY: AlertHistoryEntry[] = [
  {
    id: 9, kind: 'repeat', from_state: 'FIRING', to_state: 'FIRING', observed_value: 180, expected: { kind: 'threshold', operator: 'above', threshold: 100 },
    bucket_start: '2026-11-27T13:55:00Z', bucket_end: '2026-11-27T14:00:00Z', transition_key: 'k9', trace_id: null,
    notification_status: 'suppressed', notification_outcome: 'suppressed', notified_at: null, created_at: '2026-11-27T14:00:05Z', deliveries: [],
  },
  {
    id: 8, kind: 'transition', from_state: 'PENDING', to_state: 'FIRING', observed_value: 150, expected: { kind: 'threshold', operator: 'above', threshold: 100 },
    bucket_start: '2026-11-27T12:55:00Z', bucket_end: '2026-11-27T13:00:00Z', transition_key: 'k8', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    notification_status: 'sent', notification_outcome: 'sent', notified_at: '2026-11-27T13:00:05Z', created_at: '2026-11-27T13:00:04Z',
    deliveries: [
      { id: 1, endpoint_id: EP_ACTIVE, alert_history_id: 8, status: 'delivered', attempts: 1, error: null, created_at: '2026-11-27T13:00:05Z', delivered_at: '2026-11-27T13:00:06Z' },
      { id: 2, endpoint_id: EP_DISABLED, alert_history_id: 8, status: 'failed', attempts: 3, error: 'HTTP 500 from receiver', created_at: '2026-11-27T13:00:05Z', delivered_at: null },
    ],
  },
];
