import type { SummaryResponse } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { ChangeBadge } from '../ChangeBadge';

export function SummaryCards({ summary }: { summary: SummaryResponse }) {
  return (
    <div className="cards">
      <div className="card stat">
        <div className="stat-label">Events, last 24 h</div>
        <div className="stat-value" data-testid="overview-total">
          {formatNumber(summary.total)}
        </div>
        <ChangeBadge pct={summary.change_pct} current={summary.total} testId="overview-total-change" />
      </div>
      <div className="card stat">
        <div className="stat-label">Previous 24 h</div>
        <div className="stat-value">{formatNumber(summary.previous_total)}</div>
      </div>
      <div className="card stat">
        <div className="stat-label">Event types seen</div>
        <div className="stat-value" data-testid="overview-types-seen">
          {formatNumber(summary.event_types_seen)}
        </div>
      </div>
    </div>
  );
}
