import type { SummaryResponse } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { ChangeBadge } from '../ChangeBadge';

/** Sketches stay exact (explicit mode) up to this many users; above, about 1.6 % standard error. */
export const EXACT_UP_TO = 320;
const UNIQUE_USERS_NOTE =
  'Distinct users of any event type in the range, from HyperLogLog sketches: exact up to 320 users, ' +
  'about 1.6 % standard error above (at most 7 %).';

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
        <div className="stat-label" title={UNIQUE_USERS_NOTE}>
          Unique users, last 24 h
        </div>
        <div className="stat-value" data-testid="overview-unique-users" title={UNIQUE_USERS_NOTE}>
          {summary.unique_users_in_range > EXACT_UP_TO ? '≈ ' : ''}
          {formatNumber(summary.unique_users_in_range)}
        </div>
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
