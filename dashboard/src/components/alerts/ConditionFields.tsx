import type { AlertDirection, ConditionKind } from '../../api/types';
import { CONDITION_KINDS, DIRECTIONS } from '../../lib/alerts';
import type { FieldErrors, RuleForm } from '../../lib/alertsForm';
import type { RulePath } from '../../lib/alertsErrors';
import { FieldError } from './FieldError';

const KIND_HELP: Record<ConditionKind, string> = {
  threshold: 'the window’s value is above or below a number',
  change: 'the value moved against the previous window of the same length',
  absence: 'no event at all in the window',
  anomaly: 'outside the usual band for this time of the week',
};

type Set = (patch: Partial<RuleForm>, path: RulePath) => void;

function DirectionSelect({ value, onChange, testId }: { value: AlertDirection; onChange: (d: AlertDirection) => void; testId: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as AlertDirection)} data-testid={testId}>
      {DIRECTIONS.map((d) => (
        <option key={d} value={d}>
          {d}
        </option>
      ))}
    </select>
  );
}

function NumberField({ label, value, onChange, errors, path, testId, placeholder }: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  errors: FieldErrors;
  path: RulePath;
  testId: string;
  placeholder?: string;
}) {
  return (
    <label className="field">
      {label}
      <input inputMode="decimal" value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} aria-invalid={errors[path] !== undefined} data-testid={testId} />
      <FieldError errors={errors} path={path} />
    </label>
  );
}

function Parameters({ form, set, errors }: { form: RuleForm; set: Set; errors: FieldErrors }) {
  switch (form.kind) {
    case 'threshold':
      return (
        <div className="filter-row">
          <label className="field">
            Operator
            <select value={form.thresholdOperator} onChange={(e) => set({ thresholdOperator: e.target.value as RuleForm['thresholdOperator'] }, 'condition.operator')} data-testid="rule-threshold-operator">
              <option value="above">above (&gt;)</option>
              <option value="below">below (&lt;)</option>
            </select>
            <FieldError errors={errors} path="condition.operator" />
          </label>
          <NumberField label="Value" value={form.thresholdValue} onChange={(v) => set({ thresholdValue: v }, 'condition.value')} errors={errors} path="condition.value" testId="rule-threshold-value" />
        </div>
      );
    case 'change':
      return (
        <div className="filter-row">
          <label className="field">
            Direction
            <DirectionSelect value={form.changeDirection} onChange={(d) => set({ changeDirection: d }, 'condition.direction')} testId="rule-change-direction" />
            <FieldError errors={errors} path="condition.direction" />
          </label>
          <label className="field">
            By
            <select value={form.changeMode} onChange={(e) => set({ changeMode: e.target.value as RuleForm['changeMode'] }, 'condition.mode')} data-testid="rule-change-mode">
              <option value="percent">percent of the previous window</option>
              <option value="absolute">absolute amount</option>
            </select>
            <FieldError errors={errors} path="condition.mode" />
          </label>
          <NumberField label={form.changeMode === 'percent' ? 'At least (%)' : 'At least'} value={form.changeValue} onChange={(v) => set({ changeValue: v }, 'condition.value')} errors={errors} path="condition.value" testId="rule-change-value" />
        </div>
      );
    case 'absence':
      return <p className="muted small">Fires when the window has no event of this type at all.</p>;
    case 'anomaly':
      return (
        <div className="filter-row">
          <NumberField label="Weeks of history (2–12)" value={form.anomalyWeeks} onChange={(v) => set({ anomalyWeeks: v }, 'condition.weeks')} errors={errors} path="condition.weeks" testId="rule-anomaly-weeks" />
          <NumberField label="Sensitivity σ (0.5–10; larger = fewer alerts)" value={form.anomalySensitivity} onChange={(v) => set({ anomalySensitivity: v }, 'condition.sensitivity')} errors={errors} path="condition.sensitivity" testId="rule-anomaly-sensitivity" />
          <label className="field">
            Direction
            <DirectionSelect value={form.anomalyDirection} onChange={(d) => set({ anomalyDirection: d }, 'condition.direction')} testId="rule-anomaly-direction" />
            <FieldError errors={errors} path="condition.direction" />
          </label>
          <NumberField label="Minimum baseline (optional)" placeholder="none" value={form.anomalyMinBaseline} onChange={(v) => set({ anomalyMinBaseline: v }, 'condition.min_baseline')} errors={errors} path="condition.min_baseline" testId="rule-anomaly-min-baseline" />
        </div>
      );
  }
}

/** The condition kind and the parameters of that kind (the others are kept for switching back). */
export function ConditionFields({ form, set, errors }: { form: RuleForm; set: Set; errors: FieldErrors }) {
  return (
    <fieldset data-testid="rule-condition">
      <legend>Condition</legend>
      <label className="field">
        Fires when
        <select value={form.kind} onChange={(e) => set({ kind: e.target.value as ConditionKind }, 'condition.kind')} data-testid="rule-kind">
          {CONDITION_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}: {KIND_HELP[k]}
            </option>
          ))}
        </select>
        <FieldError errors={errors} path="condition.kind" />
      </label>
      <Parameters form={form} set={set} errors={errors} />
    </fieldset>
  );
}
