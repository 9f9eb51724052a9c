import type { AlertSeverity } from '../../api/types';
import { SEVERITIES } from '../../lib/alerts';
import type { FieldErrors, RepeatUnit, RuleForm } from '../../lib/alertsForm';
import type { RulePath } from '../../lib/alertsErrors';
import { ChannelPicker } from './ChannelPicker';
import { FieldError } from './FieldError';

type Set = (patch: Partial<RuleForm>, path: RulePath) => void;

/** When a breach becomes FIRING, how loud, how often, and where to. */
export function NotifyFields({ form, set, errors }: { form: RuleForm; set: Set; errors: FieldErrors }) {
  return (
    <fieldset data-testid="rule-notify">
      <legend>Firing and notifications</legend>
      <div className="filter-row">
        <label className="field">
          Pending evaluations (breaches in a row before firing)
          <input inputMode="numeric" value={form.pendingEvaluations} onChange={(e) => set({ pendingEvaluations: e.target.value }, 'pending_evaluations')} aria-invalid={errors.pending_evaluations !== undefined} data-testid="rule-pending" />
          <FieldError errors={errors} path="pending_evaluations" />
        </label>
        <label className="field">
          Severity
          <select value={form.severity} onChange={(e) => set({ severity: e.target.value as AlertSeverity }, 'severity')} data-testid="rule-severity">
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <FieldError errors={errors} path="severity" />
        </label>
      </div>
      <div className="filter-row">
        <label className="field">
          Repeat while firing
          <select value={form.repeatUnit} onChange={(e) => set({ repeatUnit: e.target.value as RepeatUnit }, 'repeat_interval_seconds')} data-testid="rule-repeat-unit">
            <option value="none">no: notify once</option>
            <option value="minutes">every … minutes</option>
            <option value="hours">every … hours</option>
          </select>
        </label>
        {form.repeatUnit !== 'none' && (
          <label className="field">
            Every ({form.repeatUnit})
            <input inputMode="decimal" value={form.repeatValue} onChange={(e) => set({ repeatValue: e.target.value }, 'repeat_interval_seconds')} aria-invalid={errors.repeat_interval_seconds !== undefined} data-testid="rule-repeat-value" />
          </label>
        )}
      </div>
      <FieldError errors={errors} path="repeat_interval_seconds" />
      <label className="checkbox">
        <input type="checkbox" checked={form.notifyOnResolve} onChange={(e) => set({ notifyOnResolve: e.target.checked }, 'notify_on_resolve')} data-testid="rule-notify-resolve" />
        Notify when it resolves
      </label>
      <FieldError errors={errors} path="notify_on_resolve" />
      <div className="field">
        <span className="label-text muted small">Channels (webhook endpoints)</span>
        <ChannelPicker value={form.channels} onChange={(channels) => set({ channels }, 'channels')} />
        <FieldError errors={errors} path="channels" />
      </div>
    </fieldset>
  );
}
