import type { AlertMetric, CatalogProperty, PropertyFilter } from '../../api/types';
import { METRIC_NAMES } from '../../lib/alerts';
import type { RulePath } from '../../lib/alertsErrors';
import type { FieldErrors } from '../../lib/alertsForm';
import { isNumeric, propertyChoices } from '../../lib/catalogProperties';
import { MEASURES, needsProperty } from '../../lib/insightQuery';
import { FilterEditor } from '../insights/FilterEditor';
import { FieldError } from './FieldError';

/**
 * The rule's metric, the numeric property sum/avg/min/max read, and its property filters: the insight
 * builder's choices and filter editor, so a rule watches exactly what a Metrics chart can draw.
 */
export function MetricField({ metric, errors, onChange }: {
  metric: AlertMetric;
  errors: FieldErrors;
  onChange: (metric: AlertMetric) => void;
}) {
  return (
    <label className="field">
      Metric
      <select value={metric} onChange={(e) => onChange(e.target.value as AlertMetric)} aria-invalid={errors.metric !== undefined} data-testid="rule-metric">
        {MEASURES.map((m) => (
          <option key={m.value} value={m.value}>
            {needsProperty(m.value) ? `${METRIC_NAMES[m.value]} of a property` : METRIC_NAMES[m.value]}
          </option>
        ))}
      </select>
      <FieldError errors={errors} path="metric" />
    </label>
  );
}

export function PropertyField({ metric, property, properties, errors, onChange }: {
  metric: AlertMetric;
  property: string;
  properties: CatalogProperty[] | undefined;
  errors: FieldErrors;
  onChange: (property: string) => void;
}) {
  if (!needsProperty(metric)) return null;
  const numeric = propertyChoices(properties, property, isNumeric);
  return (
    <label className="field" title="properties whose every value so far is a number">
      Numeric property
      <select value={property} onChange={(e) => onChange(e.target.value)} aria-invalid={errors.property !== undefined} data-testid="rule-property">
        <option value="">{numeric.length === 0 ? 'No numeric property' : 'Pick one…'}</option>
        {numeric.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <FieldError errors={errors} path="property" />
    </label>
  );
}

export function RuleFilters({ filters, properties, errors, errorIndex, onChange }: {
  filters: PropertyFilter[];
  properties: CatalogProperty[] | undefined;
  errors: FieldErrors;
  /** The row the API's answer names (`filters[1].value` -> 1), null when it names none. */
  errorIndex: number | null;
  onChange: (filters: PropertyFilter[], path: RulePath) => void;
}) {
  return (
    <div className="field" data-testid="rule-filters">
      <FilterEditor value={filters} onChange={(next) => onChange(next, 'filters')} properties={properties} errorIndex={errors.filters === undefined ? null : errorIndex} />
      <FieldError errors={errors} path="filters" />
    </div>
  );
}
