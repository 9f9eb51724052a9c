import { useMemo, type ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { usePersonEvents, usePersonProfile } from '../api/queries';
import type { PersonProfile } from '../api/types';
import { EventsTable } from '../components/events/EventsTable';
import { Pager } from '../components/Pager';
import { TypeCounts } from '../components/people/TypeCounts';
import { EmptyView, QueryView } from '../components/StateViews';
import { Time } from '../components/Time';
import { useCursorPager } from '../hooks/useCursorPager';
import { parsePersonRef, type PersonRef } from '../lib/people';
import { browserTimeZone } from '../lib/time';

function Header({ profile, tz }: { profile: PersonProfile; tz: string }) {
  const p = profile.person;
  const rows: [string, ReactNode][] = [
    ['User id', p.user_id ? <code data-testid="person-user-id">{p.user_id}</code> : <span className="muted">not identified</span>],
    [
      'Anonymous ids',
      p.anonymous_ids.length === 0 ? (
        <span className="muted">—</span>
      ) : (
        <span data-testid="person-anonymous-ids">
          {p.anonymous_ids.map((a, i) => (
            <span key={a}>
              {i > 0 && ', '}
              <code>{a}</code>
            </span>
          ))}
        </span>
      ),
    ],
    ['First seen', <Time value={p.first_seen} tz={tz} />],
    ['Last seen', <Time value={p.last_seen} tz={tz} />],
    ['Events', <span data-testid="person-event-count">{p.event_count.toLocaleString()}</span>],
  ];
  return (
    <section className="card" data-testid="person-header">
      {profile.resolved_from_anonymous_id && (
        <p className="muted small" data-testid="person-resolved">
          Anonymous id <code>{profile.resolved_from_anonymous_id}</code> was identified as this user.
        </p>
      )}
      <dl className="facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Timeline({ person, tz }: { person: PersonRef; tz: string }) {
  const pager = useCursorPager();
  const events = usePersonEvents(person, pager.cursor);
  const loading = events.isPlaceholderData || events.isFetching;
  return (
    <section className="card">
      <h2>Timeline</h2>
      <QueryView query={events} loadingLabel="Loading events…" isEmpty={(d) => d.events.length === 0} empty={<EmptyView title="No events." />}>
        {(data) => (
          <>
            <p className="muted small">Newest first · {data.events.length} on this page</p>
            <EventsTable events={data.events} tz={tz} loading={loading} />
            <Pager
              page={pager.page}
              hasNext={!events.isPlaceholderData && data.next_cursor !== null}
              busy={loading}
              onPrev={pager.prev}
              onNext={() => data.next_cursor && pager.next(data.next_cursor)}
              prevTestId="person-prev"
              nextTestId="person-next"
            />
          </>
        )}
      </QueryView>
    </section>
  );
}

/** One person: a user with every anonymous id linked to them, or an anonymous visitor never identified. */
export function PersonPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params] = useSearchParams();
  const person = useMemo(() => parsePersonRef(params), [params]);
  if (person === null) {
    return (
      <div className="page">
        <h1>Person</h1>
        <EmptyView title="Open a person from a user id or an anonymous id in the explorer (?user_id=… or ?anonymous_id=…)." />
      </div>
    );
  }
  return <PersonView person={person} tz={tz} />;
}

function PersonView({ person, tz }: { person: PersonRef; tz: string }) {
  const profile = usePersonProfile(person);
  return (
    <div className="page" data-testid="person-page">
      <div className="page-head">
        <h1>
          Person <code>{person.userId ?? person.anonymousId}</code>
        </h1>
      </div>
      <QueryView query={profile} loadingLabel="Loading person…">
        {(p) => (
          <>
            <Header profile={p} tz={tz} />
            <section className="card">
              <h2>Events by type</h2>
              <TypeCounts counts={p.person.counts_by_type} total={p.person.event_count} />
            </section>
            <Timeline person={person} tz={tz} />
          </>
        )}
      </QueryView>
    </div>
  );
}
