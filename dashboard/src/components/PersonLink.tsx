import { Link } from 'react-router-dom';
import { personPath, type PersonRef } from '../lib/people';

/** A user id or an anonymous id, as a link to that person's page; a dash when there is none. */
export function PersonLink({ userId, anonymousId, testId }: { userId?: string | null; anonymousId?: string | null; testId?: string }) {
  const ref: PersonRef | null = userId ? { userId } : anonymousId ? { anonymousId } : null;
  if (ref === null) return <span className="muted">—</span>;
  return (
    // Inside a clickable row: the link, not the row, takes the click.
    <Link to={personPath(ref)} onClick={(e) => e.stopPropagation()} data-testid={testId} title="Open this person's timeline">
      {userId ?? anonymousId}
    </Link>
  );
}
