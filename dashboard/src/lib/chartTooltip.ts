import { formatChange, formatNumber } from './format';
import { changeRatio } from './previousPeriod';
import { formatDateTime } from './time';

export interface TooltipRow {
  label: string;
  color: string;
  value: string;
  /** With the previous period drawn: its value at the same offset, and the change from it. */
  previous?: string;
  change?: string;
}

export interface TooltipLine {
  label: string;
  color: string;
  values: readonly (number | null)[];
  shown: boolean;
  /** The previous period at the same buckets (lib/previousPeriod.ts), when it is drawn. */
  previous?: readonly (number | null)[];
}

export interface TooltipModel {
  title: string;
  partial: boolean;
  rows: TooltipRow[];
}

/**
 * What the floating tooltip says at bucket `idx`: the bucket's start in the dashboard's one time
 * format, and each shown line's value, largest first. A bucket that may still grow says "so far". With
 * the previous period drawn, each row also has the previous value and the change from it.
 */
export function tooltipModel(
  idx: number,
  xs: readonly number[],
  lines: readonly TooltipLine[],
  partialFrom: number,
  tz: string,
  titlePrefix = '',
): TooltipModel | null {
  const x = xs[idx];
  if (x === undefined) return null;
  const partial = idx >= partialFrom;
  const rows = lines
    .filter((l) => l.shown)
    .map((l) => ({ l, n: l.values[idx] ?? null }))
    .sort((a, b) => (b.n ?? -Number.MAX_VALUE) - (a.n ?? -Number.MAX_VALUE))
    .map(({ l, n }) => {
      const row: TooltipRow = { label: l.label, color: l.color, value: partial && n !== null ? `${formatNumber(n)} so far` : formatNumber(n) };
      if (l.previous) {
        const p = l.previous[idx] ?? null;
        row.previous = formatNumber(p);
        // a bucket still filling is not compared: its "change" would be a drop that is not there
        const ratio = partial ? null : changeRatio(n, p);
        row.change = ratio === null ? '' : formatChange(ratio * 100, n ?? 0).text;
      }
      return row;
    });
  return { title: `${titlePrefix}${formatDateTime(x, tz)}${partial ? ' (still filling)' : ''}`, partial, rows };
}

/** Where the tooltip goes: right of the cursor, or left of it when it would leave the plot. */
export function tooltipLeft(cursorLeft: number, tipWidth: number, plotWidth: number, gap = 14): number {
  const right = cursorLeft + gap;
  if (right + tipWidth <= plotWidth) return right;
  return Math.max(0, cursorLeft - gap - tipWidth);
}
