import { formatNumber } from './format';
import { formatDateTime } from './time';

export interface TooltipRow {
  label: string;
  color: string;
  value: string;
}

export interface TooltipModel {
  title: string;
  partial: boolean;
  rows: TooltipRow[];
}

/**
 * What the floating tooltip says at bucket `idx`: the bucket's start in the dashboard's one time
 * format, and each shown line's value, largest first. A bucket that may still grow says "so far".
 */
export function tooltipModel(
  idx: number,
  xs: readonly number[],
  lines: readonly { label: string; color: string; values: readonly number[]; shown: boolean }[],
  partialFrom: number,
  tz: string,
  titlePrefix = '',
): TooltipModel | null {
  const x = xs[idx];
  if (x === undefined) return null;
  const partial = idx >= partialFrom;
  const rows = lines
    .filter((l) => l.shown)
    .map((l) => ({ label: l.label, color: l.color, n: l.values[idx] ?? 0 }))
    .sort((a, b) => b.n - a.n)
    .map(({ label, color, n }) => ({ label, color, value: partial ? `${formatNumber(n)} so far` : formatNumber(n) }));
  return { title: `${titlePrefix}${formatDateTime(x, tz)}${partial ? ' (still filling)' : ''}`, partial, rows };
}

/** Where the tooltip goes: right of the cursor, or left of it when it would leave the plot. */
export function tooltipLeft(cursorLeft: number, tipWidth: number, plotWidth: number, gap = 14): number {
  const right = cursorLeft + gap;
  if (right + tipWidth <= plotWidth) return right;
  return Math.max(0, cursorLeft - gap - tipWidth);
}
