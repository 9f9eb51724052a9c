import type {
  AlertCondition,
  AlertDirection,
  AlertExpected,
  AlertHistoryEntry,
  AlertSeverity,
  AlertState,
  AlertMetric,
  ConditionKind,
  NotificationOutcome,
  PropertyFilter,
} from '../api/types';
import { formatNumber } from './format';
import { describeFilter } from './propertyFilters';
import { isoUtc } from './time';

export const ALERT_STATES: readonly AlertState[] = ['OK', 'PENDING', 'FIRING', 'RESOLVED', 'NODATA'];
export const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];
export const CONDITION_KINDS: readonly ConditionKind[] = ['threshold', 'change', 'absence', 'anomaly'];
export const DIRECTIONS: readonly AlertDirection[] = ['up', 'down', 'either'];

/** How often the rule list and a rule's state are asked again. */
export const ALERTS_REFRESH_MS = 10_000;

const MINUTE = 60;
const HOUR = 3600;

/** The windows the form offers (API: whole minutes from 1 minute to 24 hours). */
export const WINDOW_PRESETS: readonly { seconds: number; label: string }[] = [
  { seconds: MINUTE, label: '1 min' },
  { seconds: 5 * MINUTE, label: '5 min' },
  { seconds: 15 * MINUTE, label: '15 min' },
  { seconds: 30 * MINUTE, label: '30 min' },
  { seconds: HOUR, label: '1 h' },
  { seconds: 6 * HOUR, label: '6 h' },
  { seconds: 24 * HOUR, label: '24 h' },
];

/** 300 -> "5 min", 3600 -> "1 h", 5400 -> "1 h 30 min", 90 -> "90 s". */
export function formatWindow(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  if (seconds % MINUTE !== 0) return `${formatNumber(seconds)} s`;
  const minutes = seconds / MINUTE;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** The presets, plus the rule's own window when it is not one of them (set through the API). */
export function windowOptions(current: number): { seconds: number; label: string }[] {
  if (WINDOW_PRESETS.some((p) => p.seconds === current) || !(current > 0)) return [...WINDOW_PRESETS];
  return [...WINDOW_PRESETS, { seconds: current, label: formatWindow(current) }].sort((a, b) => a.seconds - b.seconds);
}

export const METRIC_NAMES: Record<AlertMetric, string> = {
  count: 'count',
  unique_users: 'unique users',
  sum: 'sum',
  avg: 'average',
  min: 'minimum',
  max: 'maximum',
};

/** What a rule measures; a bare metric stands for one with no property and no filters. */
export interface RuleMeasure {
  metric: AlertMetric;
  property?: string | null;
  filters?: readonly PropertyFilter[];
}

const measureOf = (m: AlertMetric | RuleMeasure): RuleMeasure => (typeof m === 'string' ? { metric: m } : m);

/** "sum of amount", "unique users": the metric with the property it reads. */
export function metricText(m: AlertMetric | RuleMeasure): string {
  const { metric, property } = measureOf(m);
  const name = METRIC_NAMES[metric] ?? metric;
  return property ? `${name} of ${property}` : name;
}

/** ' where plan equals "pro" and coupon is set', or '' with no filters. */
export function filtersText(filters: readonly PropertyFilter[] | undefined): string {
  return filters && filters.length > 0 ? ` where ${filters.map(describeFilter).join(' and ')}` : '';
}

/** The whole measure in words: 'sum of amount where plan equals "pro"'. */
export function measureText(m: AlertMetric | RuleMeasure): string {
  return metricText(m) + filtersText(measureOf(m).filters);
}

const CHANGE_VERBS: Record<AlertDirection, string> = { up: 'rises', down: 'falls', either: 'changes' };

/** "3" or "2.5" followed by σ: the sensitivity is a number of spreads around the usual value. */
function sigma(sensitivity: number): string {
  return `${formatNumber(sensitivity)}σ`;
}

/**
 * One line for a rule's condition: "count > 100 over 5 min", "count rises by ≥ 50% over 5 min",
 * "absence over 1 h", "anomaly (3σ, 4 weeks) over 5 min".
 */
export function conditionSummary(measure: AlertMetric | RuleMeasure, windowSeconds: number, condition: AlertCondition): string {
  // The filters go last, so the comparison stays next to what it compares.
  const where = filtersText(measureOf(measure).filters);
  return conditionHead(metricText(measure), windowSeconds, condition) + (where === '' ? '' : `,${where}`);
}

function conditionHead(what: string, windowSeconds: number, condition: AlertCondition): string {
  const over = `over ${formatWindow(windowSeconds)}`;
  switch (condition.kind) {
    case 'threshold':
      return `${what} ${condition.operator === 'above' ? '>' : '<'} ${formatNumber(condition.value)} ${over}`;
    case 'change': {
      const amount = condition.mode === 'percent' ? `${formatNumber(condition.value)}%` : formatNumber(condition.value);
      return `${what} ${CHANGE_VERBS[condition.direction]} by ≥ ${amount} ${over} (vs the previous window)`;
    }
    case 'absence':
      return `absence ${over}`;
    case 'anomaly': {
      const direction = condition.direction === 'either' ? '' : ` ${condition.direction}`;
      const baseline = condition.min_baseline !== null ? `, min baseline ${formatNumber(condition.min_baseline)}` : '';
      return `anomaly${direction} (${sigma(condition.sensitivity)}, ${condition.weeks} weeks${baseline}) ${over}`;
    }
  }
}

const REASONS: Record<string, string> = {
  window_incomplete: 'window not complete yet',
  previous_window_unavailable: 'previous window unavailable',
  insufficient_history: 'not enough history',
  below_min_baseline: 'below the minimum baseline',
};

function reasonText(expected: AlertExpected): string {
  if (!expected.reason) return '';
  const base = REASONS[expected.reason] ?? expected.reason.replace(/_/g, ' ');
  if (expected.reason === 'insufficient_history' && expected.weeks_available !== undefined && expected.weeks_required !== undefined) {
    return `${base} (${expected.weeks_available}/${expected.weeks_required} weeks)`;
  }
  return base;
}

function termsText(e: AlertExpected): string {
  switch (e.kind) {
    case 'threshold':
      return e.threshold === undefined ? '' : `${e.operator === 'below' ? '<' : '>'} ${formatNumber(e.threshold)}`;
    case 'change': {
      const unit = e.mode === 'percent' ? '%' : '';
      const by = e.by === undefined ? '' : `${e.direction ?? 'either'} by ≥ ${formatNumber(e.by)}${unit}`;
      const previous = e.previous === undefined ? '' : `previous ${formatNumber(e.previous)}`;
      const change = e.change === undefined ? '' : `change ${e.change > 0 ? '+' : ''}${formatNumber(e.change)}${unit}`;
      return [by, previous, change].filter(Boolean).join(', ');
    }
    case 'absence':
      return `≥ ${formatNumber(e.at_least ?? 1)}`;
    case 'anomaly':
      if (e.low === undefined || e.high === undefined) return e.sensitivity === undefined ? '' : sigma(e.sensitivity);
      return `band ${formatNumber(e.low)} – ${formatNumber(e.high)}${e.median === undefined ? '' : ` (median ${formatNumber(e.median)})`}`;
    default:
      return '';
  }
}

/** What a history row was compared with: "> 100", "band 80 – 120 (median 100)", plus why it could not judge. */
export function expectedText(expected: AlertExpected | null): string {
  if (!expected) return '—';
  const text = [termsText(expected), reasonText(expected)].filter(Boolean).join('; ');
  return text || '—';
}

/** "OK → FIRING", or "repeat" for a reminder while firing. */
export function transitionText(entry: Pick<AlertHistoryEntry, 'kind' | 'from_state' | 'to_state'>): string {
  return entry.kind === 'repeat' ? 'repeat' : `${entry.from_state} → ${entry.to_state}`;
}

/** Notifications stay off until this instant (the state still moves); null or past: not silenced. */
export function isSilenced(silencedUntil: string | null, nowMs: number): boolean {
  if (!silencedUntil) return false;
  const until = Date.parse(silencedUntil);
  return Number.isFinite(until) && until > nowMs;
}

/** The `silenced_until` of "silence for N hours from now", whole seconds. */
export function silenceFor(hours: number, nowMs: number): string {
  return isoUtc(Math.floor(nowMs / 1000) * 1000 + hours * 3_600_000);
}

export const SILENCE_PRESETS: readonly { hours: number; label: string }[] = [
  { hours: 1, label: '1 h' },
  { hours: 24, label: '24 h' },
];

/** "Repeat every 1 h", "notify once". */
export function repeatText(seconds: number | null): string {
  return seconds === null ? 'notify once' : `every ${formatWindow(seconds)}`;
}

/** Enabled rules that are firing now: what the navigation badge and the Overview banner count. */
export function firingRules<T extends { enabled: boolean; state: AlertState }>(rules: readonly T[]): T[] {
  return rules.filter((r) => r.enabled && r.state === 'FIRING');
}

/** The history's "Notification" cell: never "sent" unless something was delivered. */
export const OUTCOME_TEXT: Record<NotificationOutcome, { text: string; tone: string; title: string }> = {
  sent: { text: 'sent', tone: 'sent', title: 'delivered to at least one channel' },
  no_channels: { text: 'not sent: no channels', tone: 'disabled', title: 'the rule had no active channel to deliver to' },
  retrying: { text: 'retrying', tone: 'failed', title: 'a delivery failed; it is tried again on the next run' },
  pending: { text: 'pending', tone: 'pending', title: 'not published yet' },
  suppressed: { text: 'suppressed', tone: 'suppressed', title: 'silenced, or the rule does not notify this change' },
};
