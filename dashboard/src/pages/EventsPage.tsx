import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useAllEventTypes, useEvents } from '../api/queries';
import { EventsFilterForm } from '../components/events/EventsFilterForm';
import { EventsTable } from '../components/events/EventsTable';
import { Pager } from '../components/Pager';
import { TenantFreshness } from '../components/TenantFreshness';
import { EmptyView, QueryView } from '../components/StateViews';
import { useCursorPager } from '../hooks/useCursorPager';
import { useLiveFeed } from '../hooks/useLiveFeed';
import { liveQuery, rangeReachesNow, withLive } from '../lib/liveFeed';
import { eventsFilterError, parseEventsFilters, serialiseEventsFilters, type EventsFilters } from '../lib/eventsFilters';
import { browserTimeZone } from '../lib/time';


export function EventsPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseEventsFilters(params), [params]);
  const pager = useCursorPager();
  const invalid = eventsFilterError(filters);
  const events = useEvents(filters, pager.cursor, invalid === null);
  const catalog = useAllEventTypes();
  const typeOptions = useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);
  const loading = events.isPlaceholderData || events.isFetching;
  const [follow, setFollow] = useState(false);
  const [pointerOnList, setPointerOnList] = useState(false);
  const canFollow = invalid === null && rangeReachesNow(filters.range, Date.now());
  const following = follow && canFollow && pager.page === 1;
  const live = useLiveFeed(liveQuery(filters), params.toString(), following, pointerOnList, () => void events.refetch());

  // A new history entry per search, so "back" returns to the previous filters.
  const apply = (next: EventsFilters) => setParams(serialiseEventsFilters(next));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Events</h1>
        <span className="head-spacer" />
        <TenantFreshness tz={tz} />
        <label className="checkbox live-toggle" title={canFollow ? 'New events appear on top as they arrive' : 'Following needs a range that reaches now'}>
          <input
            type="checkbox"
            checked={following}
            disabled={!canFollow}
            onChange={(e) => {
              setFollow(e.target.checked);
              if (e.target.checked) pager.first();
            }}
            data-testid="events-follow"
          />
          Follow live
        </label>
        <button type="button" className="secondary" onClick={() => void events.refetch()} disabled={events.isFetching} data-testid="events-refresh">
          Refresh
        </button>
      </div>
      <EventsFilterForm key={params.toString()} initial={filters} onApply={apply} typeOptions={typeOptions} tz={tz} />
      {invalid !== null ? (
        <div className="state state-error" role="alert" data-testid="state-error">
          {invalid}
        </div>
      ) : (
        <QueryView
          query={events}
          loadingLabel="Loading events…"
          isEmpty={(d) => d.events.length === 0 && pager.page === 1 && live.shown.length === 0 && !following}
          empty={<EmptyView title="No events match these filters." />}
        >
          {(data) => (
            <>
              <p className="muted small" data-testid="events-summary">
                Newest first · {following ? `following live: ${live.shown.length} arrived since you started` : `${data.events.length} on this page`}
                {live.error && following && <span className="field-error"> · live feed: {live.error}</span>}
              </p>
              {following && live.pending > 0 && (
                <button type="button" className="secondary live-marker" onClick={live.flush} data-testid="live-new-marker">
                  {live.pending} new
                </button>
              )}
              {/* Paused while the pointer is on the list, so a row does not move under the cursor. */}
              <div onMouseEnter={() => setPointerOnList(true)} onMouseLeave={() => setPointerOnList(false)} data-testid="events-list">
                <EventsTable events={following ? withLive(live.shown, data.events) : data.events} tz={tz} loading={loading && !following} />
              </div>
              <Pager
                page={pager.page}
                hasNext={!events.isPlaceholderData && data.next_cursor !== null}
                busy={loading}
                onPrev={pager.prev}
                onNext={() => data.next_cursor && pager.next(data.next_cursor)}
                prevTestId="events-prev"
                nextTestId="events-next"
              />
            </>
          )}
        </QueryView>
      )}
    </div>
  );
}
