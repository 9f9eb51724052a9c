import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { timeChartOptions } from './chartOptions';

export interface ChartSeries {
  label: string;
  values: number[];
}

interface ChartProps {
  /** Bucket starts, epoch ms. */
  xs: number[];
  series: ChartSeries[];
  tz: string;
  height?: number;
  testId?: string;
  /** Buckets from this instant on may still grow (freshness.complete_up_to): they are shaded. */
  incompleteFromMs?: number | null;
}

function shadeIncomplete(plot: uPlot, fromMs: number | null): void {
  if (fromMs === null) return;
  const { left, top, width, height } = plot.bbox;
  const x = Math.max(left, plot.valToPos(fromMs, 'x', true));
  if (x >= left + width) return;
  plot.ctx.save();
  plot.ctx.fillStyle = 'rgba(148, 163, 184, 0.16)';
  plot.ctx.fillRect(x, top, left + width - x, height);
  plot.ctx.restore();
}

function markDrawn(host: HTMLElement, plot: uPlot): void {
  const points = plot.data[0]?.length ?? 0;
  host.dataset.state = points > 0 && plot.series.length > 1 ? 'drawn' : 'empty';
  host.dataset.points = String(points);
  host.dataset.series = String(plot.series.length - 1);
}

/**
 * uPlot in React. The plot is built once per shape (series names, zone, height) and fed new data
 * with setData, so a 5-second refresh redraws the canvas in place: no remount, no flicker, and the
 * cursor and zoom stay where the user left them.
 */
export function Chart({ xs, series, tz, height = 280, testId, incompleteFromMs = null }: ChartProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const incompleteRef = useRef<number | null>(incompleteFromMs);
  const plotRef = useRef<uPlot | null>(null);
  const fedRef = useRef<{ xs: number[]; series: ChartSeries[] } | null>(null);
  const labels = series.map((s) => s.label);
  const shape = JSON.stringify([labels, tz, height]);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const width = Math.max(200, Math.floor(host.clientWidth));
    const options = timeChartOptions(labels, tz, width, height);
    // Marked from uPlot's own draw hook, so an end-to-end test waits for pixels, not for React.
    options.hooks = {
      drawAxes: [(u) => shadeIncomplete(u, incompleteRef.current)],
      draw: [(u) => markDrawn(host, u)],
    };
    const plot = new uPlot(options, [xs, ...series.map((s) => s.values)], host);
    plotRef.current = plot;
    fedRef.current = { xs, series };

    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (w > 0 && w !== plot.width) plot.setSize({ width: w, height });
    });
    observer.observe(host);
    return () => {
      observer.disconnect();
      plot.destroy();
      plotRef.current = null;
      fedRef.current = null;
    };
    // The shape string stands for labels, tz and height; data changes go through setData below.
  }, [shape]);

  useEffect(() => {
    const plot = plotRef.current;
    const fed = fedRef.current;
    const markMoved = incompleteRef.current !== incompleteFromMs;
    incompleteRef.current = incompleteFromMs;
    if (!plot) return;
    if (!fed || fed.xs !== xs || fed.series !== series) {
      plot.setData([xs, ...series.map((s) => s.values)]);
      fedRef.current = { xs, series };
    } else if (markMoved) {
      plot.redraw(false, false);
    }
  }, [xs, series, incompleteFromMs]);

  return <div ref={hostRef} className="chart" data-testid={testId} style={{ minHeight: height }} />;
}
