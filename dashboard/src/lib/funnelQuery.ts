// The Funnels page's query as the URL holds it: the API's own `step=<json>` parameters (repeated, in
// order), the window in seconds, the range, and the breakdown. A shared link runs the same funnel.
import type { FilterOp, FunnelFilter } from '../api/types';
import { readInt, readString } from './params';
import { rangeEntries, readRange } from './rangeParams';
import { resolveRange, type RangeSpec } from './range';

export interface FunnelStepSpec {
  type: string;
  filters: FunnelFilter[];
}

export interface FunnelQuery {
  steps: FunnelStepSpec[];
  windowSeconds: number;
  range: RangeSpec;
  breakdown: string;
  limit: number;
}

export const MIN_STEPS = 2;
export const MAX_STEPS = 5;
export const MAX_FILTERS = 5;
export const DAY_S = 86_400;
export const DEFAULT_WINDOW_S = 7 * DAY_S;
export const MIN_WINDOW_S = 60;
export const MAX_WINDOW_S = 90 * DAY_S;
export const WINDOWS: readonly { value: number; label: string }[] = [
  { value: 3600, label: '1 hour' },
  { value: DAY_S, label: '1 day' },
  { value: 7 * DAY_S, label: '7 days' },
  { value: 14 * DAY_S, label: '14 days' },
  { value: 30 * DAY_S, label: '30 days' },
  { value: 90 * DAY_S, label: '90 days' },
];
export const FILTER_OPS: readonly { value: FilterOp; label: string }[] = [
  { value: 'eq', label: '=' },
  { value: 'neq', label: '≠' },
  { value: 'in', label: 'in' },
  { value: 'contains', label: 'contains' },
  { value: 'is_set', label: 'is set' },
  { value: 'is_not_set', label: 'is not set' },
  { value: 'gt', label: '>' },
  { value: 'lt', label: '<' },
];
const OPS = FILTER_OPS.map((o) => o.value);

export function emptyStep(): FunnelStepSpec {
  return { type: '', filters: [] };
}

function readFilter(raw: unknown): FunnelFilter | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const f = raw as Record<string, unknown>;
  if (typeof f.property !== 'string' || !OPS.includes(f.op as FilterOp)) return null;
  const op = f.op as FilterOp;
  return op === 'is_set' || op === 'is_not_set' ? { property: f.property, op } : { property: f.property, op, value: f.value };
}

/** One `step` parameter; anything unreadable is left out (a hand-edited URL must not crash the page). */
export function readStep(text: string): FunnelStepSpec | null {
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') return null;
    const filters = (raw as { filters?: unknown }).filters;
    const parsed = Array.isArray(filters) ? filters.map(readFilter).filter((f): f is FunnelFilter => f !== null) : [];
    return { type: (raw as { type: string }).type, filters: parsed.slice(0, MAX_FILTERS) };
  } catch {
    return null;
  }
}

export function stepParam(step: FunnelStepSpec): string {
  return JSON.stringify(step.filters.length > 0 ? { type: step.type, filters: step.filters } : { type: step.type });
}

export function parseFunnelQuery(params: URLSearchParams): FunnelQuery {
  const steps = params.getAll('step').map(readStep).filter((s): s is FunnelStepSpec => s !== null).slice(0, MAX_STEPS);
  while (steps.length < MIN_STEPS) steps.push(emptyStep());
  return {
    steps,
    windowSeconds: readInt(params, 'window', DEFAULT_WINDOW_S, MIN_WINDOW_S, MAX_WINDOW_S),
    range: readRange(params, '30d'),
    breakdown: readString(params, 'breakdown'),
    limit: readInt(params, 'limit', 10, 1, 25),
  };
}

export function serialiseFunnelQuery(q: FunnelQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const step of q.steps) params.append('step', stepParam(step));
  params.set('window', String(q.windowSeconds));
  for (const [name, value] of rangeEntries(q.range)) params.set(name, value);
  if (q.breakdown) params.set('breakdown', q.breakdown);
  if (q.limit !== 10) params.set('limit', String(q.limit));
  return params;
}

/** What GET /v1/insights/funnel is asked: the range resolved now (presets end "now"). */
export function funnelApiParams(q: FunnelQuery, nowMs: number): URLSearchParams {
  const { from, to } = resolveRange(q.range, nowMs);
  const params = new URLSearchParams();
  for (const step of q.steps) params.append('step', stepParam(step));
  params.set('start', from);
  params.set('end', to);
  params.set('window', String(q.windowSeconds));
  if (q.breakdown) {
    params.set('breakdown', q.breakdown);
    params.set('limit', String(q.limit));
  }
  return params;
}

/** Why the query cannot run yet, or null: every step needs a type. */
export function funnelProblem(q: FunnelQuery): string | null {
  const missing = q.steps.findIndex((s) => s.type.trim() === '');
  return missing >= 0 ? `Step ${missing + 1} needs an event type.` : null;
}

/** A typed value: JSON when it parses as a scalar (42, true, null, "quoted"), else the text itself. */
function scalarFromText(text: string): unknown {
  const trimmed = text.trim();
  try {
    const value: unknown = JSON.parse(trimmed);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
  } catch {
    // not JSON: a plain string
  }
  return trimmed;
}

/** The filter's value from what was typed in its box, as the op wants it. */
export function filterValueFromText(op: FilterOp, text: string): unknown {
  if (op === 'is_set' || op === 'is_not_set') return undefined;
  if (op === 'gt' || op === 'lt') return text.trim() === '' ? null : Number(text);
  if (op === 'contains') return text;
  if (op === 'in') return text.split(',').filter((part) => part.trim() !== '').map(scalarFromText);
  return scalarFromText(text);
}

/** The text a filter's value shows in its box (the inverse of filterValueFromText). */
export function filterValueText(filter: FunnelFilter): string {
  const value = filter.value;
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && !Number.isFinite(value)) return '';
  return JSON.stringify(value);
}

/** A filter as its editor holds it: the value as typed, read only when the funnel runs. */
export interface DraftFilter {
  property: string;
  op: FilterOp;
  text: string;
}

export interface DraftStep {
  type: string;
  filters: DraftFilter[];
}

export function toDraft(steps: FunnelStepSpec[]): DraftStep[] {
  return steps.map((s) => ({ type: s.type, filters: s.filters.map((f) => ({ property: f.property, op: f.op, text: filterValueText(f) })) }));
}

export function fromDraft(steps: DraftStep[]): FunnelStepSpec[] {
  return steps.map((s) => ({
    type: s.type.trim(),
    filters: s.filters.map((f) => {
      const value = filterValueFromText(f.op, f.text);
      return value === undefined ? { property: f.property.trim(), op: f.op } : { property: f.property.trim(), op: f.op, value };
    }),
  }));
}

/** Why the steps as edited cannot run, or null; the API checks the rest and names the field. */
export function draftProblem(steps: DraftStep[]): string | null {
  for (const [i, step] of steps.entries()) {
    if (step.type.trim() === '') return `Step ${i + 1} needs an event type.`;
    for (const f of step.filters) {
      if (f.property.trim() === '') return `Step ${i + 1}: a filter needs a property.`;
      if ((f.op === 'gt' || f.op === 'lt') && !Number.isFinite(Number(f.text.trim() || 'x'))) {
        return `Step ${i + 1}: "${f.property}" ${f.op === 'gt' ? '>' : '<'} needs a number.`;
      }
    }
  }
  return null;
}
