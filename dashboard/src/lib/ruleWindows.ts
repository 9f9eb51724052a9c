import type { AlertCondition, Interval, Metric } from '../api/types';

/** How many evaluated windows the rule's chart shows (the evaluator judges one window per minute). */
export const RULE_CHART_WINDOWS = 60;

const MINUTE = 60_000;
const TUMBLING: Partial<Record<number, Interval>> = { 60: '1m', 300: '5m', 3600: '1h', 86400: '1d' };

export interface RuleChartPlan {
  interval: Interval;
  /** Buckets per window: counts add up over consecutive minutes; unique users do not. */
  perWindow: number;
  spanMs: number;
}

/**
 * What to ask /v1/metrics/series for to draw a rule's windows. Counts: minutes, summed over each
 * window ending at every minute, as the evaluator sums them. Unique users cannot be added up, so only a
 * window that is itself a series interval (1 min, 5 min, 1 h, 1 day) can be drawn; null otherwise.
 */
export function ruleChartPlan(metric: Metric, windowSeconds: number): RuleChartPlan | null {
  if (!(windowSeconds >= 60) || windowSeconds % 60 !== 0) return null;
  if (metric === 'count') {
    const perWindow = windowSeconds / 60;
    return { interval: '1m', perWindow, spanMs: (RULE_CHART_WINDOWS + perWindow - 1) * MINUTE };
  }
  const interval = TUMBLING[windowSeconds];
  return interval ? { interval, perWindow: 1, spanMs: RULE_CHART_WINDOWS * windowSeconds * 1000 } : null;
}

export interface WindowValues {
  /** Each window's end, epoch ms (a window is named by its end, as in the rule's history). */
  endsMs: number[];
  values: number[];
  /** Index of the first window that holds a bucket that may still grow. */
  partialFrom: number;
}

/** Sums `perWindow` consecutive buckets into windows, one ending at each bucket's end. */
export function windowValues(
  bucketsMs: readonly number[],
  values: readonly number[],
  bucketMs: number,
  perWindow: number,
  bucketPartialFrom: number,
): WindowValues {
  const out: WindowValues = { endsMs: [], values: [], partialFrom: Number.MAX_SAFE_INTEGER };
  let sum = 0;
  for (let j = 0; j < bucketsMs.length; j++) {
    sum += values[j] ?? 0;
    if (j >= perWindow) sum -= values[j - perWindow] ?? 0;
    if (j < perWindow - 1) continue;
    if (j >= bucketPartialFrom && out.partialFrom === Number.MAX_SAFE_INTEGER) out.partialFrom = out.endsMs.length;
    out.endsMs.push((bucketsMs[j + 1] ?? (bucketsMs[j] as number) + bucketMs));
    out.values.push(sum);
  }
  if (out.partialFrom === Number.MAX_SAFE_INTEGER) out.partialFrom = out.endsMs.length;
  return out;
}

/** The line a threshold rule compares against; other conditions have no fixed line. */
export function thresholdLine(condition: AlertCondition): { value: number; label: string } | null {
  if (condition.kind !== 'threshold') return null;
  return { value: condition.value, label: `threshold: ${condition.operator} ${condition.value}` };
}
