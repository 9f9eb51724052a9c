import { useTypeColors } from './TypeColors';

/** The chart's own legend: each type is a toggle (hidden types stay listed), plus the scale switch. */
export function ChartLegend({ labels, hidden, onToggle, log, onLog, partial, compare = null }: {
  labels: string[];
  hidden: ReadonlySet<string>;
  onToggle: (label: string) => void;
  log: boolean;
  onLog: (log: boolean) => void;
  partial: boolean;
  compare?: { on: boolean; onChange: (on: boolean) => void } | null;
}) {
  const typeColor = useTypeColors();
  return (
    <div className="chart-legend" data-testid="chart-legend">
      {labels.map((label) => {
        const shown = !hidden.has(label);
        return (
          <button
            key={label}
            type="button"
            className={`legend-item${shown ? '' : ' legend-off'}`}
            aria-pressed={shown}
            title={shown ? `hide ${label}` : `show ${label}`}
            onClick={() => onToggle(label)}
            data-testid="legend-item"
            data-label={label}
          >
            <span className="swatch" style={{ background: shown ? typeColor(label) : 'transparent', borderColor: typeColor(label) }} />
            {label}
          </button>
        );
      })}
      <span className="legend-spacer" />
      {partial && (
        <span className="muted small legend-key" data-testid="legend-partial">
          <span className="dash-sample" aria-hidden="true" /> dotted, shaded: still filling
        </span>
      )}
      {compare && (
        <label className="checkbox small" title="the same query over the range just before this one, aligned by offset">
          <input type="checkbox" checked={compare.on} onChange={(e) => compare.onChange(e.target.checked)} data-testid="chart-compare" />
          <span className="dot-sample" aria-hidden="true" /> Previous period
        </label>
      )}
      <label className="checkbox small">
        <input type="checkbox" checked={log} onChange={(e) => onLog(e.target.checked)} data-testid="chart-log" />
        Log scale
      </label>
    </div>
  );
}
