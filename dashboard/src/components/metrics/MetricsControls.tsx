import type { Interval, Metric } from '../../api/types';
import { METRICS, MAX_SERIES_TYPES, type MetricsFilters } from '../../lib/metricsFilters';
import { INTERVALS, intervalForRange, type RangeSpec } from '../../lib/range';
import { RangePicker } from '../RangePicker';
import { TimeZonePicker } from '../TimeZonePicker';
import { TypePicker } from '../TypePicker';

const METRIC_LABELS: Record<Metric, string> = { count: 'Events (count)', unique_users: 'Unique users' };

export function MetricsControls({ filters, onChange, typeOptions }: {
  filters: MetricsFilters;
  onChange: (patch: Partial<MetricsFilters>) => void;
  typeOptions: string[];
}) {
  // A new range brings an interval that suits it; the user can still pick another afterwards.
  const changeRange = (range: RangeSpec) => onChange({ range, interval: intervalForRange(range, Date.now()) });

  return (
    <div className="filters card">
      <TypePicker value={filters.types} onChange={(types) => onChange({ types })} options={typeOptions} max={MAX_SERIES_TYPES} />
      <div className="filter-row">
        <label>
          Metric
          <select value={filters.metric} onChange={(e) => onChange({ metric: e.target.value as Metric })} data-testid="filter-metric">
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Interval
          <select value={filters.interval} onChange={(e) => onChange({ interval: e.target.value as Interval })} data-testid="filter-interval">
            {INTERVALS.map((i) => (
              <option key={i.value} value={i.value}>
                {i.label}
              </option>
            ))}
          </select>
        </label>
        <RangePicker value={filters.range} onChange={changeRange} tz={filters.tz} />
        <TimeZonePicker value={filters.tz} onChange={(tz) => onChange({ tz })} />
      </div>
    </div>
  );
}
