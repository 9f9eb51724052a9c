import { Link } from 'react-router-dom';
import { useAlertRule } from '../../api/queries';
import type { AlertRule } from '../../api/types';
import { conditionSummary, measureText } from '../../lib/alerts';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';
import { DeleteRuleButton } from './DeleteRuleButton';
import { EnabledToggle } from './EnabledToggle';
import { SilenceControls } from './SilenceControls';

/**
 * One rule of the summary list. The summary has no condition parameters, window or silence, so the
 * row reads its rule (GET /v1/alerts/{id}, cached) for those and shows the kind alone until then.
 */
export function AlertRow({ rule, tz, canEdit }: { rule: AlertRule; tz: string; canEdit: boolean }) {
  const detail = useAlertRule(rule.id);
  const d = detail.data;
  const to = `/alerts/${encodeURIComponent(rule.id)}`;
  return (
    <tr data-testid="alerts-row" data-id={rule.id} data-name={rule.name} data-state={rule.state} className={rule.enabled ? undefined : 'disabled-row'}>
      <td>
        <Link to={to} data-testid="alert-name">
          {rule.name}
        </Link>
        {!rule.enabled && <span className="badge badge-muted">disabled</span>}
      </td>
      <td className="nowrap">
        <StatusBadge value={rule.state} testId="alert-state" />
        <div className="muted small">
          since <Time value={rule.since} tz={tz} />
        </div>
      </td>
      <td>
        <StatusBadge value={rule.severity} testId="alert-severity" />
      </td>
      <td>{rule.event_type}</td>
      {/* The summary has no property or filters: the rule read for the condition brings them. */}
      <td data-testid="alert-metric">{measureText(d ?? rule)}</td>
      <td data-testid="alert-condition" title={detail.isError ? 'The rule could not be read; showing its kind only' : undefined}>
        {d ? conditionSummary(d, d.window_seconds, d.condition) : <span className="muted">{rule.condition_kind}</span>}
      </td>
      <td>
        <EnabledToggle ruleId={rule.id} enabled={rule.enabled} canEdit={canEdit} />
      </td>
      <td>
        {d ? <SilenceControls ruleId={rule.id} silencedUntil={d.silenced_until} tz={tz} canEdit={canEdit} /> : <span className="muted">…</span>}
      </td>
      <td>
        {canEdit && (
          <div className="actions">
            <Link to={`${to}/edit`} data-testid="alert-edit">
              Edit
            </Link>
            <DeleteRuleButton ruleId={rule.id} name={rule.name} />
          </div>
        )}
      </td>
    </tr>
  );
}
