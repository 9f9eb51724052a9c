import { usePatchAlertRule } from '../../api/queries';
import { InlineError } from '../InlineError';

/** PATCH {enabled}: a disabled rule is not evaluated and keeps its last state. */
export function EnabledToggle({ ruleId, enabled, canEdit }: { ruleId: string; enabled: boolean; canEdit: boolean }) {
  const patch = usePatchAlertRule(ruleId);
  // While the PATCH is in flight, show what was asked for.
  const shown = patch.isPending && patch.variables.enabled !== undefined ? patch.variables.enabled : enabled;
  return (
    <>
      <label className="checkbox" title={canEdit ? undefined : 'Needs an admin key'}>
        <input
          type="checkbox"
          checked={shown}
          disabled={!canEdit || patch.isPending}
          onChange={(e) => patch.mutate({ enabled: e.target.checked })}
          data-testid="alert-enabled"
        />
        {shown ? 'on' : 'off'}
      </label>
      {patch.isError && <InlineError error={patch.error} action={enabled ? 'Disabling' : 'Enabling'} />}
    </>
  );
}
