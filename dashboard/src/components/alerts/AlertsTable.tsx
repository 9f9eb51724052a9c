import type { AlertRule } from '../../api/types';
import { AlertRow } from './AlertRow';

export function AlertsTable({ rules, tz, canEdit }: { rules: AlertRule[]; tz: string; canEdit: boolean }) {
  return (
    <div className="table-scroll">
      <table className="table" data-testid="alerts-table">
        <thead>
          <tr>
            <th>Rule</th>
            <th>State ({tz})</th>
            <th>Severity</th>
            <th>Event type</th>
            <th>Metric</th>
            <th>Condition</th>
            <th>Enabled</th>
            <th>Silence</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <AlertRow key={r.id} rule={r} tz={tz} canEdit={canEdit} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
