import { useState, type FormEvent } from 'react';
import type { UseMutationResult } from '@tanstack/react-query';
import { useCatalogItem } from '../../api/queries';
import type { RuleDetail, RuleSpec } from '../../api/types';
import { conditionSummary, windowOptions } from '../../lib/alerts';
import { ruleFieldError, type RulePath } from '../../lib/alertsErrors';
import { formToSpec, type FieldErrors, type RuleForm as RuleFormValues } from '../../lib/alertsForm';
import { filterIndexOf } from '../insights/InsightControls';
import { ErrorView } from '../StateViews';
import { MetricField, PropertyField, RuleFilters } from './MeasureFields';
import { ConditionFields } from './ConditionFields';
import { EventTypeInput } from './EventTypeInput';
import { FieldError } from './FieldError';
import { NotifyFields } from './NotifyFields';

const MAX_DESCRIPTION = 2000;

/**
 * Create or replace a rule. Problems are shown under the field they concern, whether the form found
 * them or the API did (its 400s name the body path); any other refusal goes to the error view.
 */
export function RuleForm({ initial, save, typeOptions, editing, onSaved }: {
  initial: RuleFormValues;
  save: UseMutationResult<RuleDetail, Error, RuleSpec>;
  typeOptions: string[];
  editing: boolean;
  onSaved: (rule: RuleDetail) => void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [filterIndex, setFilterIndex] = useState<number | null>(null);
  // The event type is typed freely: its properties are asked for only once it names a catalogued type.
  const catalogued = typeOptions.includes(form.eventType.trim());
  const properties = useCatalogItem(form.eventType.trim(), catalogued).data?.properties;
  const set = (patch: Partial<RuleFormValues>, path: RulePath) => {
    setForm((f) => ({ ...f, ...patch }));
    // Editing a field clears its message; a new condition kind clears every condition message, and a new
    // metric the property's (whose picker may be gone with it).
    const stale = (key: string) => key === path || (path === 'condition.kind' && key.startsWith('condition.')) || (path === 'metric' && key === 'property');
    setErrors((old) => Object.fromEntries(Object.entries(old).filter(([key]) => !stale(key))));
  };
  const checked = formToSpec(form);
  const pageError = save.isError && ruleFieldError(save.error) === null ? save.error : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = formToSpec(form);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    save.mutate(result.spec, {
      onSuccess: onSaved,
      onError: (error) => {
        const placed = ruleFieldError(error);
        if (placed) setErrors({ [placed.path]: placed.message });
        setFilterIndex(placed?.path === 'filters' ? filterIndexOf(placed.field) : null);
      },
    });
  };

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="rule-form">
      <label className="field">
        Name
        <input value={form.name} maxLength={200} onChange={(e) => set({ name: e.target.value }, 'name')} aria-invalid={errors.name !== undefined} placeholder="e.g. Checkout spike" data-testid="rule-name" />
        <FieldError errors={errors} path="name" />
      </label>
      <label className="field">
        Description (optional)
        <textarea value={form.description} maxLength={MAX_DESCRIPTION} rows={2} onChange={(e) => set({ description: e.target.value }, 'description')} data-testid="rule-description" />
        <FieldError errors={errors} path="description" />
      </label>
      <fieldset data-testid="rule-measure">
        <legend>What to watch</legend>
        <div className="filter-row">
          <label className="field">
            Event type
            <EventTypeInput value={form.eventType} onChange={(eventType) => set({ eventType }, 'event_type')} options={typeOptions} invalid={errors.event_type !== undefined} />
            <FieldError errors={errors} path="event_type" />
          </label>
          <MetricField metric={form.metric} errors={errors} onChange={(metric) => set({ metric }, 'metric')} />
          <PropertyField metric={form.metric} property={form.property} properties={properties} errors={errors} onChange={(property) => set({ property }, 'property')} />
          <label className="field">
            Window
            <select value={form.windowSeconds} onChange={(e) => set({ windowSeconds: Number(e.target.value) }, 'window_seconds')} data-testid="rule-window">
              {windowOptions(form.windowSeconds).map((w) => (
                <option key={w.seconds} value={w.seconds}>
                  {w.label}
                </option>
              ))}
            </select>
            <FieldError errors={errors} path="window_seconds" />
          </label>
        </div>
        <RuleFilters filters={form.filters} properties={properties} errors={errors} errorIndex={filterIndex} onChange={(filters, path) => set({ filters }, path)} />
      </fieldset>
      <ConditionFields form={form} set={set} errors={errors} />
      <NotifyFields form={form} set={set} errors={errors} />
      {checked.ok && (
        <p className="muted" data-testid="rule-preview">
          Fires on {checked.spec.event_type}: {conditionSummary(checked.spec, checked.spec.window_seconds, checked.spec.condition)}
          {checked.spec.pending_evaluations > 1 ? `, ${checked.spec.pending_evaluations} evaluations in a row` : ''}.
        </p>
      )}
      {editing && <p className="muted small">Changing the event type, metric, property, filters, window or condition restarts the rule at OK with a fresh state.</p>}
      {pageError && <ErrorView error={pageError} title="The rule was not saved" />}
      <div className="filter-actions">
        <button type="submit" disabled={save.isPending} data-testid="rule-form-submit">
          {save.isPending ? 'Saving…' : editing ? 'Save rule' : 'Create rule'}
        </button>
        {Object.keys(errors).length > 0 && <span className="field-error small">Fix the fields marked above.</span>}
      </div>
    </form>
  );
}
