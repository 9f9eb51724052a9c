// How a funnel's numbers read on the page.
import type { FunnelFilter, FunnelStepResult } from '../api/types';

const pct = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 0.4 -> "40%"; null (nobody entered) -> "—". */
export function percent(ratio: number | null): string {
  return ratio === null ? '—' : `${pct.format(ratio * 100)}%`;
}

const OP_TEXT: Record<FunnelFilter['op'], string> = {
  eq: '=', neq: '≠', in: 'in', contains: 'contains', is_set: 'is set', is_not_set: 'is not set', gt: '>', lt: '<',
};

export function filterText(f: FunnelFilter): string {
  if (f.value === undefined) return `${f.property} ${OP_TEXT[f.op]}`;
  return `${f.property} ${OP_TEXT[f.op]} ${typeof f.value === 'string' ? f.value : JSON.stringify(f.value)}`;
}

/** "2. checkout (plan = pro)" */
export function stepLabel(step: FunnelStepResult, index: number): string {
  const filters = step.filters.length > 0 ? ` (${step.filters.map(filterText).join(', ')})` : '';
  return `${index + 1}. ${step.type}${filters}`;
}

/** The first step: everyone who entered; later ones: share of the first, and of the step before. */
export function conversionText(step: FunnelStepResult, index: number): string {
  if (index === 0) return step.count > 0 ? '100%' : '—';
  return `${percent(step.conversion_from_first)} of first · ${percent(step.conversion_from_previous)} of previous`;
}
