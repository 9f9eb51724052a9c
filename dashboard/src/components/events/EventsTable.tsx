import { Link, useNavigate } from 'react-router-dom';
import type { EventListItem } from '../../api/types';
import { PersonLink } from '../PersonLink';
import { Time } from '../Time';
import { TypeName } from '../TypeName';

export function eventPath(e: Pick<EventListItem, 'event_id' | 'occurred_at'>): string {
  return `/events/${encodeURIComponent(e.event_id)}?${new URLSearchParams({ at: e.occurred_at })}`;
}

export function EventsTable({ events, tz, loading }: { events: EventListItem[]; tz: string; loading: boolean }) {
  const navigate = useNavigate();
  return (
    <div className="table-scroll">
      <table className="table clickable" data-testid="events-table" data-loading={String(loading)} aria-busy={loading}>
        <thead>
          <tr>
            <th>Occurred ({tz})</th>
            <th>Type</th>
            <th>User id</th>
            <th>Anonymous id</th>
            <th>Properties</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.event_id} data-testid="events-row" data-event-id={e.event_id} onClick={() => navigate(eventPath(e))}>
              <td className="nowrap">
                {/* The link makes the row reachable by keyboard; the row click is the mouse shortcut. */}
                <Link to={eventPath(e)} onClick={(ev) => ev.stopPropagation()}>
                  <Time value={e.occurred_at} tz={tz} />
                </Link>
                {e.is_late && (
                  <span className="badge badge-warn" title="Older than 7 days when received">
                    late
                  </span>
                )}
              </td>
              <td>
                <TypeName name={e.event_type} />
              </td>
              <td data-testid="events-row-user">
                <PersonLink userId={e.user_id} testId="events-row-user-link" />
              </td>
              <td>
                <PersonLink anonymousId={e.anonymous_id} testId="events-row-anonymous-link" />
              </td>
              <td className="preview" title={e.properties_preview}>
                <code>{e.properties_preview}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
