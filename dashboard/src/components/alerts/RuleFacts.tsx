import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { RuleDetail } from '../../api/types';
import { conditionSummary, formatWindow, isSilenced, measureText, repeatText } from '../../lib/alerts';
import { ruleChartLink } from '../../lib/ruleLinks';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';

export function RuleFacts({ rule, tz, endpointLabel }: { rule: RuleDetail; tz: string; endpointLabel: (id: string) => string }) {
  const chart = ruleChartLink(rule, tz);
  const rows: [string, ReactNode][] = [
    ['Condition', <span data-testid="alert-detail-condition">{conditionSummary(rule, rule.window_seconds, rule.condition)}</span>],
    ['Event type', <Link to={chart}>{rule.event_type}</Link>],
    ['Metric', <span data-testid="alert-detail-metric">{measureText(rule)}</span>],
    ['Window', formatWindow(rule.window_seconds)],
    ['Severity', <StatusBadge value={rule.severity} testId="alert-detail-severity" />],
    ['Enabled', rule.enabled ? 'yes' : 'no (not evaluated)'],
    [
      'Fires after',
      <>
        {rule.pending_evaluations} breaching evaluation{rule.pending_evaluations === 1 ? '' : 's'} in a row{' '}
        <span className="nowrap" data-testid="alert-detail-breaches">(now {rule.status.consecutive_breaches})</span>
      </>,
    ],
    ['Repeat while firing', repeatText(rule.repeat_interval_seconds)],
    ['Notify on resolve', rule.notify_on_resolve ? 'yes' : 'no'],
    ['Silenced', isSilenced(rule.silenced_until, Date.now()) ? <>until <Time value={rule.silenced_until} tz={tz} /></> : 'no'],
    ['Channels', rule.channels.length === 0 ? <span className="muted">none</span> : rule.channels.map((id) => <div key={id}><code title={id}>{endpointLabel(id)}</code></div>)],
    ['Last evaluated window', <Time value={rule.status.last_evaluated_bucket} tz={tz} />],
    [
      'Last notified',
      rule.channels.length === 0 ? (
        <span className="muted" data-testid="alert-detail-last-notified">
          nothing delivered: no channels
        </span>
      ) : (
        <Time value={rule.status.last_notified_at} tz={tz} />
      ),
    ],
    ['Created', <Time value={rule.created_at} tz={tz} />],
    ['Updated', <Time value={rule.updated_at} tz={tz} />],
  ];
  return (
    <>
      <dl className="facts" data-testid="alert-detail-facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {rule.description && <p className="description">{rule.description}</p>}
    </>
  );
}
