import { useMemo, type ReactNode } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useEvent } from '../api/queries';
import type { EventDetail } from '../api/types';
import { JsonBlock } from '../components/JsonBlock';
import { PersonLink } from '../components/PersonLink';
import { EmptyView, QueryView } from '../components/StateViews';
import { Time } from '../components/Time';
import { browserTimeZone } from '../lib/time';

function Facts({ e, tz }: { e: EventDetail; tz: string }) {
  const rows: [string, ReactNode][] = [
    ['Event id', <code data-testid="event-detail-id">{e.event_id}</code>],
    ['Type', e.event_type],
    ['User id', <PersonLink userId={e.user_id} testId="event-detail-user" />],
    ['Anonymous id', <PersonLink anonymousId={e.anonymous_id} testId="event-detail-anonymous" />],
    ['Occurred', <Time value={e.occurred_at} tz={tz} />],
    ['Client timestamp', <Time value={e.client_timestamp} tz={tz} />],
    ['Sent', <Time value={e.sent_at} tz={tz} />],
    ['Received', <Time value={e.received_at} tz={tz} />],
    ['Late', e.is_late ? 'yes (older than 7 days when received)' : 'no'],
    ['Kafka position', e.kafka ? `partition ${e.kafka.partition}, offset ${e.kafka.offset}` : '—'],
    ['Trace id', e.trace_id ? <code>{e.trace_id}</code> : '—'],
    ['Project id', <code>{e.project_id}</code>],
  ];
  return (
    <dl className="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function EventDetailPage() {
  const tz = useMemo(browserTimeZone, []);
  const { eventId = '' } = useParams();
  const [params] = useSearchParams();
  const at = params.get('at');
  const event = useEvent(eventId, at);
  const location = useLocation();
  const navigate = useNavigate();
  // Back to the list as it was (filters and page) when we came from it; else to a fresh list.
  const cameFromApp = location.key !== 'default';

  return (
    <div className="page">
      <p>
        <Link
          to="/events"
          onClick={(e) => {
            if (cameFromApp) {
              e.preventDefault();
              navigate(-1);
            }
          }}
        >
          ← Back to events
        </Link>
      </p>
      <h1>Event</h1>
      {at === null ? (
        <EmptyView title="This link lacks the event's time (?at=…); open the event from the explorer." />
      ) : (
        <QueryView query={event} loadingLabel="Loading event…">
          {(e) => (
            <div data-testid="event-detail">
              <section className="card">
                <Facts e={e} tz={tz} />
              </section>
              <section className="card">
                <h2>Properties</h2>
                <JsonBlock value={e.properties} testId="event-detail-properties" />
              </section>
              <section className="card">
                <h2>Context</h2>
                <JsonBlock value={e.context} testId="event-detail-context" />
              </section>
            </div>
          )}
        </QueryView>
      )}
    </div>
  );
}
