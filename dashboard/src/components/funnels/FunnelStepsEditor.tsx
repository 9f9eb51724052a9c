import { useId } from 'react';
import type { FilterOp } from '../../api/types';
import { FILTER_OPS, MAX_FILTERS, MAX_STEPS, MIN_STEPS, type DraftFilter, type DraftStep } from '../../lib/funnelQuery';

const NO_VALUE: readonly FilterOp[] = ['is_set', 'is_not_set'];

function FilterRow({ filter, onChange, onRemove, testId }: {
  filter: DraftFilter;
  onChange: (next: DraftFilter) => void;
  onRemove: () => void;
  testId: string;
}) {
  return (
    <div className="filter-row funnel-filter" data-testid={testId}>
      <input aria-label="Property" placeholder="property" value={filter.property} onChange={(e) => onChange({ ...filter, property: e.target.value })} data-testid={`${testId}-property`} />
      <select aria-label="Operator" value={filter.op} onChange={(e) => onChange({ ...filter, op: e.target.value as FilterOp })} data-testid={`${testId}-op`}>
        {FILTER_OPS.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {!NO_VALUE.includes(filter.op) && (
        <input
          aria-label="Value"
          placeholder={filter.op === 'in' ? 'a, b, c' : filter.op === 'gt' || filter.op === 'lt' ? 'number' : 'value'}
          value={filter.text}
          onChange={(e) => onChange({ ...filter, text: e.target.value })}
          data-testid={`${testId}-value`}
        />
      )}
      <button type="button" className="link-button" aria-label="Remove filter" onClick={onRemove}>
        ×
      </button>
    </div>
  );
}

/** 2 to 5 steps, each an event type (suggested from the catalog) with up to 5 property filters. */
export function FunnelStepsEditor({ steps, onChange, typeOptions }: {
  steps: DraftStep[];
  onChange: (next: DraftStep[]) => void;
  typeOptions: string[];
}) {
  const listId = useId();
  const setStep = (index: number, next: DraftStep) => onChange(steps.map((s, i) => (i === index ? next : s)));
  return (
    <ol className="funnel-steps">
      <datalist id={listId}>
        {typeOptions.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
      {steps.map((step, i) => (
        <li key={i} className="funnel-step" data-testid={`step-${i}`}>
          <div className="filter-row">
            <label>
              Step {i + 1}
              <input list={listId} placeholder="event type" value={step.type} onChange={(e) => setStep(i, { ...step, type: e.target.value })} data-testid={`step-${i}-type`} />
            </label>
            <button
              type="button"
              className="link-button"
              disabled={step.filters.length >= MAX_FILTERS}
              onClick={() => setStep(i, { ...step, filters: [...step.filters, { property: '', op: 'eq', text: '' }] })}
              data-testid={`step-${i}-add-filter`}
            >
              + filter
            </button>
            {steps.length > MIN_STEPS && (
              <button type="button" className="link-button" aria-label={`Remove step ${i + 1}`} onClick={() => onChange(steps.filter((_, j) => j !== i))}>
                Remove step
              </button>
            )}
          </div>
          {step.filters.map((filter, j) => (
            <FilterRow
              key={j}
              filter={filter}
              testId={`step-${i}-filter-${j}`}
              onChange={(next) => setStep(i, { ...step, filters: step.filters.map((f, k) => (k === j ? next : f)) })}
              onRemove={() => setStep(i, { ...step, filters: step.filters.filter((_, k) => k !== j) })}
            />
          ))}
        </li>
      ))}
      {steps.length < MAX_STEPS && (
        <li className="funnel-step-add">
          <button type="button" className="chip-button" onClick={() => onChange([...steps, { type: '', filters: [] }])} data-testid="add-step">
            + Add step
          </button>
        </li>
      )}
    </ol>
  );
}
