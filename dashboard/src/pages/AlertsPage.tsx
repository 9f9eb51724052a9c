import { useMemo } from 'react';
import { useAlerts } from '../api/queries';
import { EmptyView, QueryView } from '../components/StateViews';
import { StatusBadge } from '../components/StatusBadge';
import { Time } from '../components/Time';
import { browserTimeZone } from '../lib/time';

export function AlertsPage() {
  const tz = useMemo(browserTimeZone, []);
  const alerts = useAlerts();
  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
      </div>
      <QueryView
        query={alerts}
        isEmpty={(d) => d.rules.length === 0}
        empty={<EmptyView title="No alert rules yet" />}
      >
        {(d) => (
          <table className="table" data-testid="alerts-table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Event type</th>
                <th>Metric</th>
                <th>Condition</th>
                <th>Severity</th>
                <th>State</th>
                <th>Since ({tz})</th>
              </tr>
            </thead>
            <tbody>
              {d.rules.map((r) => (
                <tr key={r.id} data-testid="alerts-row" className={r.enabled ? undefined : 'disabled-row'}>
                  <td>
                    {r.name}
                    {!r.enabled && <span className="badge badge-muted">disabled</span>}
                  </td>
                  <td>{r.event_type}</td>
                  <td>{r.metric}</td>
                  <td>{r.condition_kind}</td>
                  <td>{r.severity}</td>
                  <td>
                    <StatusBadge value={r.state} />
                  </td>
                  <td className="nowrap">
                    <Time value={r.since} tz={tz} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
    </div>
  );
}
