import type { CatalogProperty, InsightMeasure, Interval } from '../../api/types';
import { isNumeric, propertyChoices } from '../../lib/catalogProperties';
import { MAX_LIMIT, MEASURES, needsProperty, type InsightQuery } from '../../lib/insightQuery';
import { INTERVALS, intervalForRange, type RangeSpec } from '../../lib/range';
import { RangePicker } from '../RangePicker';
import { TimeZonePicker } from '../TimeZonePicker';
import { CopyLink } from './CopyLink';
import { FilterEditor } from './FilterEditor';

const LIMITS = [5, 10, 25];

/** The field a 422 names, as the index of the filter it is about (`filter[2].value` -> 2). */
export function filterIndexOf(field: string | null): number | null {
  const m = field === null ? null : /^filters?\[(\d+)\]/.exec(field);
  return m ? Number(m[1]) : null;
}

/** The insight builder: what to measure, over which type, broken down and filtered how, and when. */
export function InsightControls({ query, onChange, typeOptions, properties, errorField }: {
  query: InsightQuery;
  onChange: (patch: Partial<InsightQuery>) => void;
  typeOptions: string[];
  properties: CatalogProperty[] | undefined;
  errorField: string | null;
}) {
  const types = query.type !== '' && !typeOptions.includes(query.type) ? [query.type, ...typeOptions] : typeOptions;
  const numeric = propertyChoices(properties, query.property, isNumeric);
  const invalid = (field: string) => errorField === field || undefined;
  // A new range brings an interval that suits it; the user can still pick another afterwards.
  const changeRange = (range: RangeSpec) => onChange({ range, interval: intervalForRange(range, Date.now()) });
  // A type's properties are its own: moving to another type starts the breakdown and filters afresh.
  const changeType = (type: string) => onChange({ type, property: '', breakdown: '', filters: [] });

  return (
    <div className="filters card" data-testid="insight-builder">
      <div className="filter-row">
        <label>
          Event type
          <select value={query.type} onChange={(e) => changeType(e.target.value)} aria-invalid={invalid('type')} data-testid="insight-type">
            <option value="">Pick a type…</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Measure
          <select value={query.measure} onChange={(e) => onChange({ measure: e.target.value as InsightMeasure })} aria-invalid={invalid('measure')} data-testid="insight-measure">
            {MEASURES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        {needsProperty(query.measure) && (
          <label title="properties whose every value so far is a number">
            Numeric property
            <select value={query.property} onChange={(e) => onChange({ property: e.target.value })} aria-invalid={invalid('property')} data-testid="insight-property">
              <option value="">{numeric.length === 0 ? 'No numeric property' : 'Pick one…'}</option>
              {numeric.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Breakdown
          <select value={query.breakdown} onChange={(e) => onChange({ breakdown: e.target.value })} aria-invalid={invalid('breakdown')} data-testid="insight-breakdown">
            <option value="">None</option>
            {propertyChoices(properties, query.breakdown).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {query.breakdown !== '' && (
          <label>
            Values
            <select value={query.limit} onChange={(e) => onChange({ limit: Number(e.target.value) })} aria-invalid={invalid('limit')} data-testid="insight-limit">
              {[...new Set([...LIMITS, query.limit])].filter((n) => n <= MAX_LIMIT).sort((a, b) => a - b).map((n) => (
                <option key={n} value={n}>
                  top {n} + other
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <FilterEditor value={query.filters} onChange={(filters) => onChange({ filters })} properties={properties} errorIndex={filterIndexOf(errorField)} />
      <div className="filter-row">
        <label>
          Interval
          <select value={query.interval} onChange={(e) => onChange({ interval: e.target.value as Interval })} aria-invalid={invalid('interval')} data-testid="insight-interval">
            {INTERVALS.map((i) => (
              <option key={i.value} value={i.value}>
                {i.label}
              </option>
            ))}
          </select>
        </label>
        <RangePicker value={query.range} onChange={changeRange} tz={query.tz} testId="insight-range" />
        <TimeZonePicker value={query.tz} onChange={(tz) => onChange({ tz })} />
        <span className="legend-spacer" />
        <CopyLink />
      </div>
    </div>
  );
}
