import { Link } from 'react-router-dom';
import type { AlertRule } from '../../api/types';
import { conditionSummary, measureText } from '../../lib/alerts';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';
import { DeleteRuleButton } from './DeleteRuleButton';
import { EnabledToggle } from './EnabledToggle';
import { SilenceControls } from './SilenceControls';

/** One rule of the list, described from the listed rule itself (its measure, filters, condition, silence). */
export function AlertRow({ rule, tz, canEdit }: { rule: AlertRule; tz: string; canEdit: boolean }) {
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
      <td data-testid="alert-metric">{measureText(rule)}</td>
      <td data-testid="alert-condition">{conditionSummary(rule, rule.window_seconds, rule.condition)}</td>
      <td>
        <EnabledToggle ruleId={rule.id} enabled={rule.enabled} canEdit={canEdit} />
      </td>
      <td>
        <SilenceControls ruleId={rule.id} silencedUntil={rule.silenced_until} tz={tz} canEdit={canEdit} />
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
