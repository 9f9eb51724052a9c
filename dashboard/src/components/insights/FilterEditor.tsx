import { useEffect, useState } from 'react';
import type { CatalogProperty, FilterOp, PropertyFilter } from '../../api/types';
import { observedTypes, propertyChoices } from '../../lib/catalogProperties';
import {
  defaultValueType,
  draftOf,
  emptyDraft,
  FILTER_OPS,
  filterOf,
  MAX_FILTERS,
  serialiseFilter,
  VALUE_TYPES,
  valueInputFor,
  type FilterDraft,
  type ValueType,
} from '../../lib/propertyFilters';

const same = (a: readonly PropertyFilter[], b: readonly PropertyFilter[]) =>
  a.length === b.length && a.every((f, i) => serialiseFilter(f) === serialiseFilter(b[i] as PropertyFilter));

/** The whole filters among the drafts, in order: what the URL and the API get. */
export function wholeFilters(drafts: readonly FilterDraft[]): PropertyFilter[] {
  return drafts.flatMap((d) => {
    const r = filterOf(d);
    return 'filter' in r ? [r.filter] : [];
  });
}

/**
 * Property filters, edited as drafts: a row that is not a whole filter yet says why and stays out of
 * the query, the others apply at once. A change from outside (back button, a shared link) resets the
 * drafts to the URL's filters.
 */
export function FilterEditor({ value, onChange, properties, errorIndex }: {
  value: PropertyFilter[];
  onChange: (filters: PropertyFilter[]) => void;
  properties: CatalogProperty[] | undefined;
  /** The filter the API's 422 names (`filter[1].op` -> 1). */
  errorIndex: number | null;
}) {
  const [drafts, setDrafts] = useState<FilterDraft[]>(() => value.map(draftOf));
  useEffect(() => {
    if (!same(wholeFilters(drafts), value)) setDrafts(value.map(draftOf));
    // Only the URL's filters decide; the drafts follow them when they differ from what the drafts make.
  }, [value]);

  const update = (next: FilterDraft[]) => {
    setDrafts(next);
    const whole = wholeFilters(next);
    if (!same(whole, value)) onChange(whole);
  };
  const edit = (i: number, patch: Partial<FilterDraft>) => update(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));

  return (
    <div className="filter-editor" data-testid="insight-filters">
      <span className="label-text">Filters (all must match)</span>
      {drafts.map((d, i) => {
        const result = filterOf(d);
        const input = valueInputFor(d.op);
        return (
          <div key={i} className="filter-row filter-line" data-testid="insight-filter" aria-invalid={errorIndex === i || undefined}>
            <select
              aria-label="Property"
              value={d.property}
              onChange={(e) => edit(i, { property: e.target.value, valueType: defaultValueType(observedTypes(properties, e.target.value)) })}
              data-testid="insight-filter-property"
            >
              <option value="">Property…</option>
              {propertyChoices(properties, d.property).map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            <select aria-label="Condition" value={d.op} onChange={(e) => edit(i, { op: e.target.value as FilterOp })} data-testid="insight-filter-op">
              {FILTER_OPS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
            {(input === 'typed' || input === 'list') && (
              <select aria-label="Value type" value={d.valueType} onChange={(e) => edit(i, { valueType: e.target.value as ValueType })} data-testid="insight-filter-type">
                {VALUE_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            )}
            {input === 'typed' && d.valueType === 'boolean' ? (
              <select aria-label="Value" value={d.text} onChange={(e) => edit(i, { text: e.target.value })} data-testid="insight-filter-value">
                <option value="">…</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : input !== 'none' ? (
              <input
                aria-label="Value"
                type={input === 'number' || (input === 'typed' && d.valueType === 'number') ? 'number' : 'text'}
                value={d.text}
                placeholder={input === 'list' ? 'a, b, c' : 'value'}
                onChange={(e) => edit(i, { text: e.target.value })}
                data-testid="insight-filter-value"
              />
            ) : null}
            <button type="button" className="link-button" aria-label={`Remove filter ${i + 1}`} onClick={() => update(drafts.filter((_, j) => j !== i))}>
              ×
            </button>
            {'error' in result && (
              <span className="muted small" data-testid="insight-filter-pending">
                not applied: {result.error}
              </span>
            )}
          </div>
        );
      })}
      {drafts.length < MAX_FILTERS && (
        <button type="button" className="chip-button" onClick={() => setDrafts([...drafts, emptyDraft()])} data-testid="insight-filter-add">
          + Filter
        </button>
      )}
    </div>
  );
}
