import { useState } from 'react';
import { useDeleteAlertRule } from '../../api/queries';
import { InlineError } from '../InlineError';

/** Delete with a confirm step: the rule and its whole history go. */
export function DeleteRuleButton({ ruleId, name, onDeleted }: { ruleId: string; name: string; onDeleted?: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteAlertRule(ruleId);
  if (!confirming) {
    return (
      <button type="button" className="danger-outline" onClick={() => setConfirming(true)} data-testid="alert-delete">
        Delete
      </button>
    );
  }
  return (
    <div className="confirm">
      <span className="small">Delete “{name}” and its history? This cannot be undone.</span>
      <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: onDeleted })} data-testid="alert-delete-confirm">
        {remove.isPending ? 'Deleting…' : 'Yes, delete'}
      </button>
      <button type="button" className="secondary" onClick={() => setConfirming(false)} data-testid="alert-delete-cancel">
        Cancel
      </button>
      {remove.isError && <InlineError error={remove.error} action="Deleting" />}
    </div>
  );
}
