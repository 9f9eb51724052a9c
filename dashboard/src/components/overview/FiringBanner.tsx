import { Link } from 'react-router-dom';
import type { AlertRule } from '../../api/types';
import { Time } from '../Time';

/** Which rules are firing, on top of the Overview: the numbers below may explain why. */
export function FiringBanner({ rules, tz }: { rules: AlertRule[]; tz: string }) {
  if (rules.length === 0) return null;
  const shown = rules.slice(0, 3);
  return (
    <div className="firing-banner" role="alert" data-testid="firing-banner">
      <strong>
        {rules.length} alert{rules.length === 1 ? '' : 's'} firing:
      </strong>{' '}
      {shown.map((r, i) => (
        <span key={r.id}>
          {i > 0 && ', '}
          <Link to={`/alerts/${encodeURIComponent(r.id)}`}>{r.name}</Link>
          <span className="muted small">
            {' '}
            ({r.event_type}, since <Time value={r.since} tz={tz} />)
          </span>
        </span>
      ))}
      {rules.length > shown.length && (
        <>
          {' '}
          and <Link to="/alerts?state=FIRING">{rules.length - shown.length} more</Link>
        </>
      )}
    </div>
  );
}
