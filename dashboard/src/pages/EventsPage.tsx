import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useAllEventTypes, useEvents } from '../api/queries';
import { EventsFilterForm } from '../components/events/EventsFilterForm';
import { EventsTable } from '../components/events/EventsTable';
import { Pager } from '../components/Pager';
import { TenantFreshness } from '../components/TenantFreshness';
import { EmptyView, QueryView } from '../components/StateViews';
import { useCursorPager } from '../hooks/useCursorPager';
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

  // A new history entry per search, so "back" returns to the previous filters.
  const apply = (next: EventsFilters) => setParams(serialiseEventsFilters(next));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Events</h1>
        <span className="head-spacer" />
        <TenantFreshness tz={tz} />
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
          isEmpty={(d) => d.events.length === 0 && pager.page === 1}
          empty={<EmptyView title="No events match these filters." />}
        >
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
