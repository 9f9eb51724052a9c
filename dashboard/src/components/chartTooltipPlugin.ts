import type { RefObject } from 'react';
import type uPlot from 'uplot';
import type { TypeColors } from '../lib/colors';
import { tooltipLeft, tooltipModel } from '../lib/chartTooltip';

export interface TooltipSource {
  xs: number[];
  series: { label: string; values: (number | null)[]; previous?: (number | null)[] }[];
  partialFrom: number;
  tz: string;
  hidden: ReadonlySet<string>;
  titlePrefix: string;
  /** The page's colours (components/TypeColors.tsx), handed in so the tooltip matches the lines. */
  colors: TypeColors;
}

function render(tip: HTMLDivElement, source: TooltipSource, idx: number): boolean {
  const lines = source.series.map((s) => ({ ...s, color: source.colors(s.label), shown: !source.hidden.has(s.label) }));
  const model = tooltipModel(idx, source.xs, lines, source.partialFrom, source.tz, source.titlePrefix);
  if (!model) return false;
  // Built with textContent: type names are user data and never go through innerHTML.
  const title = document.createElement('div');
  title.className = 'chart-tip-title';
  title.textContent = model.title;
  const rows = model.rows.map((r) => {
    const row = document.createElement('div');
    row.className = 'chart-tip-row';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = r.color;
    const name = document.createElement('span');
    name.textContent = r.label;
    const value = document.createElement('span');
    value.className = 'chart-tip-value';
    value.textContent = r.value;
    row.append(swatch, name, value);
    if (r.previous !== undefined) {
      const before = document.createElement('span');
      before.className = 'chart-tip-previous';
      before.textContent = `previous ${r.previous}${r.change ? ` · ${r.change}` : ''}`;
      row.append(before);
    }
    return row;
  });
  tip.replaceChildren(title, ...rows);
  tip.dataset.partial = String(model.partial);
  return true;
}

/** A tooltip that follows the cursor inside the plot, beside it rather than in a legend far away. */
export function tooltipPlugin(sourceRef: RefObject<TooltipSource>): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tip';
        tip.setAttribute('data-testid', 'chart-tooltip');
        tip.style.display = 'none';
        u.over.appendChild(tip);
      },
      setCursor: (u) => {
        if (!tip) return;
        const { idx, left, top } = u.cursor;
        if (idx === null || idx === undefined || left === undefined || left < 0 || !render(tip, sourceRef.current, idx)) {
          tip.style.display = 'none';
          return;
        }
        tip.style.display = 'block';
        const plotWidth = u.over.clientWidth;
        tip.style.left = `${tooltipLeft(left, tip.offsetWidth, plotWidth)}px`;
        tip.style.top = `${Math.max(0, Math.min((top ?? 0) + 14, u.over.clientHeight - tip.offsetHeight))}px`;
      },
    },
  };
}
