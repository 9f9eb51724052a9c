import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { splitAtPartial } from '../lib/buckets';
import { ChartLegend } from './ChartLegend';
import { seriesPerLine, timeChartOptions } from './chartOptions';
import { tooltipPlugin, type TooltipSource } from './chartTooltipPlugin';
import { useTypeColors } from './TypeColors';

export interface ChartSeries {
  label: string;
  /** One per bucket; null is a gap (an average over no value), never drawn as zero. */
  values: (number | null)[];
  /** The previous period aligned to these buckets (lib/previousPeriod.ts): drawn dotted when given. */
  previous?: (number | null)[];
}

interface ChartProps {
  /** Bucket starts, epoch ms. */
  xs: number[];
  series: ChartSeries[];
  tz: string;
  /** Index of the first bucket that may still grow (lib/buckets.ts): drawn dotted and shaded. */
  partialFrom: number;
  height?: number;
  testId?: string;
  /** Types listed in the legend but not drawn until the user turns them on. */
  initiallyHidden?: readonly string[];
  /** A horizontal reference line (a rule's threshold). */
  threshold?: { value: number; label: string } | null;
  /** What an x value is, in the tooltip ("window ending "); bucket starts need no prefix. */
  pointTitle?: string;
  /** Offers "Compare to previous period" in the legend; the page fetches it and passes `previous`. */
  compare?: { on: boolean; onChange: (on: boolean) => void } | null;
}

function drawThreshold(plot: uPlot, threshold: { value: number; label: string } | null): void {
  if (!threshold) return;
  const { left, top, width, height } = plot.bbox;
  const y = plot.valToPos(threshold.value, 'y', true);
  if (!(y >= top && y <= top + height)) return;
  const ctx = plot.ctx;
  ctx.save();
  ctx.strokeStyle = '#334155';
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(left, y);
  ctx.lineTo(left + width, y);
  ctx.stroke();
  ctx.fillStyle = '#334155';
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  // uPlot leaves the alignment of its last axis label (right-aligned) on the context
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText(threshold.label, left + 6 * devicePixelRatio, y - 5 * devicePixelRatio);
  ctx.restore();
}

function shadePartial(plot: uPlot, xs: readonly number[], partialFrom: number): void {
  const start = xs[partialFrom];
  if (start === undefined) return;
  const { left, top, width, height } = plot.bbox;
  const x = Math.max(left, plot.valToPos(start, 'x', true));
  if (x >= left + width) return;
  plot.ctx.save();
  plot.ctx.fillStyle = 'rgba(148, 163, 184, 0.18)';
  plot.ctx.fillRect(x, top, left + width - x, height);
  plot.ctx.restore();
}

function markDrawn(host: HTMLElement, plot: uPlot, lines: number, partialFrom: number, withPrevious: boolean): void {
  const points = plot.data[0]?.length ?? 0;
  host.dataset.state = points > 0 && lines > 0 ? 'drawn' : 'empty';
  host.dataset.points = String(points);
  host.dataset.series = String(lines);
  host.dataset.partialFrom = String(partialFrom);
  host.dataset.previous = String(withPrevious);
}

function plotData(xs: number[], series: ChartSeries[], partialFrom: number, withPrevious: boolean): uPlot.AlignedData {
  return [xs, ...series.flatMap((s) => {
    const { complete, partial } = splitAtPartial(s.values, partialFrom);
    return withPrevious ? [complete, partial, s.previous ?? xs.map(() => null)] : [complete, partial];
  })];
}

/**
 * uPlot in React. The plot is built once per shape (series names, zone, height, scale) and fed new
 * data with setData, so a 5-second refresh redraws the canvas in place: no remount, no flicker, and
 * the cursor and zoom stay where the user left them. Colours come from the page's TypeColors, and a
 * change of colour (the catalog arriving) rebuilds the plot like a change of shape.
 */
export function Chart({ xs, series, tz, partialFrom, height = 280, testId, initiallyHidden = [], threshold = null, pointTitle = '', compare = null }: ChartProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const typeColor = useTypeColors();
  const sourceRef = useRef<TooltipSource>({ xs, series, partialFrom, tz, hidden: new Set(), titlePrefix: pointTitle, colors: typeColor });
  const [hidden, setHidden] = useState<Set<string>>(() => new Set(initiallyHidden));
  const [log, setLog] = useState(false);
  const labels = useMemo(() => series.map((s) => s.label), [series]);
  const colors = labels.map(typeColor);
  // Drawn only once the previous period has arrived: until then the chart stays as it was.
  const withPrevious = series.length > 0 && series.every((s) => s.previous !== undefined);
  const stride = seriesPerLine(withPrevious);
  const shape = JSON.stringify([labels, colors, tz, height, log, threshold, withPrevious]);
  sourceRef.current = { xs, series, partialFrom, tz, hidden, titlePrefix: pointTitle, colors: typeColor };

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const width = Math.max(200, Math.floor(host.clientWidth));
    const lines = labels.map((label, i) => ({ label, color: colors[i] as string, shown: !sourceRef.current.hidden.has(label) }));
    const options = timeChartOptions(lines, tz, { width, height }, log, threshold?.value ?? 0, withPrevious);
    options.plugins = [tooltipPlugin(sourceRef)];
    // Marked from uPlot's own draw hook, so an end-to-end test waits for pixels, not for React.
    options.hooks = {
      drawAxes: [(u) => shadePartial(u, sourceRef.current.xs, sourceRef.current.partialFrom)],
      draw: [
        (u) => drawThreshold(u, threshold),
        (u) => markDrawn(host, u, labels.length, sourceRef.current.partialFrom, withPrevious),
      ],
    };
    const { xs: x0, series: s0, partialFrom: p0 } = sourceRef.current;
    const plot = new uPlot(options, plotData(x0, s0, p0, withPrevious), host);
    plotRef.current = plot;

    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (w > 0 && w !== plot.width) plot.setSize({ width: w, height });
    });
    observer.observe(host);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
    // The shape string stands for labels, colours, tz, height, scale, threshold and the comparison; data changes go through setData below.
  }, [shape]);

  useEffect(() => {
    plotRef.current?.setData(plotData(xs, series, partialFrom, withPrevious));
  }, [xs, series, partialFrom, withPrevious]);

  useEffect(() => {
    const plot = plotRef.current;
    if (!plot) return;
    labels.forEach((label, i) => {
      const show = !hidden.has(label);
      // series 0 is x; each type is a solid and a dotted series, and the previous period's when drawn
      if (plot.series[1 + stride * i]?.show !== show) {
        for (let k = 1; k <= stride; k++) plot.setSeries(k + stride * i, { show });
      }
    });
  }, [hidden, labels, shape, stride]);

  const toggle = (label: string) =>
    setHidden((prev) => {
      const next = new Set(prev);
      if (!next.delete(label)) next.add(label);
      return next;
    });

  return (
    <div className="chart-frame">
      <div ref={hostRef} className="chart" data-testid={testId} data-scale={log ? 'log' : 'linear'} style={{ minHeight: height }} />
      <ChartLegend labels={labels} hidden={hidden} onToggle={toggle} log={log} onLog={setLog} partial={partialFrom < xs.length} compare={compare} />
    </div>
  );
}
