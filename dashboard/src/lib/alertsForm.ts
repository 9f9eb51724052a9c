import type { AlertCondition, AlertDirection, AlertMetric, AlertSeverity, ConditionKind, PropertyFilter, RuleSpec } from '../api/types';
import { METRIC_NAMES } from './alerts';
import type { RulePath } from './alertsErrors';
import { needsProperty } from './insightQuery';

export type RepeatUnit = 'none' | 'minutes' | 'hours';

/**
 * The rule form as typed: numbers stay strings until submit so that a half-typed "1." is not lost,
 * and each condition kind keeps its own parameters so switching kinds back and forth loses nothing.
 */
export interface RuleForm {
  name: string;
  description: string;
  eventType: string;
  metric: AlertMetric;
  /** The numeric property of sum/avg/min/max; kept while another metric is picked, sent only with those. */
  property: string;
  /** Whole filters only: the filter editor keeps unfinished rows to itself. */
  filters: PropertyFilter[];
  windowSeconds: number;
  kind: ConditionKind;
  thresholdOperator: 'above' | 'below';
  thresholdValue: string;
  changeDirection: AlertDirection;
  changeMode: 'absolute' | 'percent';
  changeValue: string;
  anomalyWeeks: string;
  anomalySensitivity: string;
  anomalyDirection: AlertDirection;
  anomalyMinBaseline: string;
  pendingEvaluations: string;
  repeatUnit: RepeatUnit;
  repeatValue: string;
  notifyOnResolve: boolean;
  severity: AlertSeverity;
  channels: string[];
  /** Not edited by the form (the list's toggle and silence controls do), but kept by a PUT. */
  enabled: boolean;
  silencedUntil: string | null;
}

export function defaultRuleForm(): RuleForm {
  return {
    name: '',
    description: '',
    eventType: '',
    metric: 'count',
    property: '',
    filters: [],
    windowSeconds: 300,
    kind: 'threshold',
    thresholdOperator: 'above',
    thresholdValue: '100',
    changeDirection: 'either',
    changeMode: 'percent',
    changeValue: '50',
    anomalyWeeks: '4',
    anomalySensitivity: '3',
    anomalyDirection: 'either',
    anomalyMinBaseline: '',
    pendingEvaluations: '1',
    repeatUnit: 'none',
    repeatValue: '1',
    notifyOnResolve: true,
    severity: 'warning',
    channels: [],
    enabled: true,
    silencedUntil: null,
  };
}

/** Seconds as the form's unit and amount: hours when whole hours, else minutes (fractions allowed). */
export function repeatToForm(seconds: number | null): { repeatUnit: RepeatUnit; repeatValue: string } {
  if (seconds === null) return { repeatUnit: 'none', repeatValue: '1' };
  if (seconds % 3600 === 0) return { repeatUnit: 'hours', repeatValue: String(seconds / 3600) };
  return { repeatUnit: 'minutes', repeatValue: String(Math.round((seconds / 60) * 100) / 100) };
}

export function ruleToForm(rule: RuleSpec): RuleForm {
  const form: RuleForm = {
    ...defaultRuleForm(),
    name: rule.name,
    description: rule.description ?? '',
    eventType: rule.event_type,
    metric: rule.metric,
    property: rule.property ?? '',
    filters: [...(rule.filters ?? [])],
    windowSeconds: rule.window_seconds,
    kind: rule.condition.kind,
    pendingEvaluations: String(rule.pending_evaluations),
    ...repeatToForm(rule.repeat_interval_seconds),
    notifyOnResolve: rule.notify_on_resolve,
    severity: rule.severity,
    channels: [...rule.channels],
    enabled: rule.enabled,
    silencedUntil: rule.silenced_until,
  };
  const c = rule.condition;
  switch (c.kind) {
    case 'threshold':
      return { ...form, thresholdOperator: c.operator, thresholdValue: String(c.value) };
    case 'change':
      return { ...form, changeDirection: c.direction, changeMode: c.mode, changeValue: String(c.value) };
    case 'absence':
      return form;
    case 'anomaly':
      return {
        ...form,
        anomalyWeeks: String(c.weeks),
        anomalySensitivity: String(c.sensitivity),
        anomalyDirection: c.direction,
        anomalyMinBaseline: c.min_baseline === null ? '' : String(c.min_baseline),
      };
  }
}

export type FieldErrors = Partial<Record<RulePath, string>>;

type NumberCheck = { min?: number; max?: number; above?: number; integer?: boolean };

/** A typed number, or the reason it is not acceptable (the API says the same, later and slower). */
export function readNumber(text: string, check: NumberCheck = {}): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'Required.';
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return 'Must be a number.';
  if (check.integer && !Number.isInteger(n)) return 'Must be a whole number.';
  if (check.above !== undefined && !(n > check.above)) return `Must be more than ${check.above}.`;
  if (check.min !== undefined && n < check.min) return `Must be at least ${check.min}.`;
  if (check.max !== undefined && n > check.max) return `Must be at most ${check.max}.`;
  return n;
}

const MAX_REPEAT_SECONDS = 604_800;

class Collector {
  readonly errors: FieldErrors = {};

  number(path: RulePath, text: string, check?: NumberCheck): number {
    const value = readNumber(text, check);
    if (typeof value === 'string') {
      this.errors[path] ??= value;
      return Number.NaN;
    }
    return value;
  }

  fail(path: RulePath, message: string): void {
    this.errors[path] ??= message;
  }
}

function conditionOf(f: RuleForm, c: Collector): AlertCondition {
  switch (f.kind) {
    case 'threshold': {
      // Only counts are bounded: a sum, average, minimum or maximum of a property may be negative (refunds).
      const counted = !needsProperty(f.metric);
      const never = f.metric === 'count' ? 'A count is never below 0' : 'Unique users are never below 0';
      const value = c.number('condition.value', f.thresholdValue);
      if (counted && value < 0) {
        c.fail('condition.value', `${never}: use 0 or more (a negative threshold needs a sum, average, minimum or maximum).`);
      } else if (counted && f.thresholdOperator === 'below' && value === 0) {
        c.fail('condition.value', `${never}: use an absence condition to alert on no events.`);
      }
      return { kind: 'threshold', operator: f.thresholdOperator, value };
    }
    case 'change': {
      const value = c.number('condition.value', f.changeValue, { above: 0 });
      if (f.changeMode === 'percent' && f.changeDirection === 'down' && value > 100) {
        c.fail('condition.value', 'A window can fall by 100% at most.');
      }
      return { kind: 'change', direction: f.changeDirection, mode: f.changeMode, value };
    }
    case 'absence':
      return { kind: 'absence' };
    case 'anomaly':
      return {
        kind: 'anomaly',
        weeks: c.number('condition.weeks', f.anomalyWeeks, { integer: true, min: 2, max: 12 }),
        sensitivity: c.number('condition.sensitivity', f.anomalySensitivity, { min: 0.5, max: 10 }),
        direction: f.anomalyDirection,
        min_baseline: f.anomalyMinBaseline.trim() === '' ? null : c.number('condition.min_baseline', f.anomalyMinBaseline, { min: 0 }),
      };
  }
}

function repeatOf(f: RuleForm, c: Collector): number | null {
  if (f.repeatUnit === 'none') return null;
  const amount = c.number('repeat_interval_seconds', f.repeatValue, { above: 0 });
  const seconds = Math.round(amount * (f.repeatUnit === 'hours' ? 3600 : 60));
  if (Number.isFinite(seconds) && (seconds < 60 || seconds > MAX_REPEAT_SECONDS)) {
    c.fail('repeat_interval_seconds', 'Repeat between 1 minute and 1 week (168 h).');
  }
  return seconds;
}

/**
 * The body of POST or PUT /v1/alerts, or the problems to fix first, keyed by the same body paths
 * the API names in its 400s (so both kinds of error land next to the same field).
 */
export function formToSpec(f: RuleForm): { ok: true; spec: RuleSpec } | { ok: false; errors: FieldErrors } {
  const c = new Collector();
  const name = f.name.trim();
  if (name === '') c.fail('name', 'Give the rule a name.');
  const eventType = f.eventType.trim();
  if (eventType === '') c.fail('event_type', 'Pick the event type to watch.');
  const property = f.property.trim();
  if (needsProperty(f.metric) && property === '') c.fail('property', `Pick the numeric property to take the ${METRIC_NAMES[f.metric]} of.`);
  const spec: RuleSpec = {
    name,
    description: f.description,
    event_type: eventType,
    metric: f.metric,
    // Left out rather than null or []: a PUT without them means none, and a plain count rule stays as it was.
    ...(needsProperty(f.metric) ? { property } : {}),
    ...(f.filters.length > 0 ? { filters: [...f.filters] } : {}),
    window_seconds: f.windowSeconds,
    condition: conditionOf(f, c),
    pending_evaluations: c.number('pending_evaluations', f.pendingEvaluations, { integer: true, min: 1, max: 1440 }),
    repeat_interval_seconds: repeatOf(f, c),
    notify_on_resolve: f.notifyOnResolve,
    silenced_until: f.silencedUntil,
    severity: f.severity,
    enabled: f.enabled,
    channels: [...f.channels],
  };
  return Object.keys(c.errors).length > 0 ? { ok: false, errors: c.errors } : { ok: true, spec };
}
