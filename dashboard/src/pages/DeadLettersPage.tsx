import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useDeadLetters } from '../api/queries';
import type { DeadLetterStatusFilter } from '../api/types';
import { DeadLetterList } from '../components/deadletters/DeadLetterList';
import { ReasonChips } from '../components/deadletters/ReasonChips';
import { Pager } from '../components/Pager';
import { EmptyView, QueryView } from '../components/StateViews';
import { useCursorPager } from '../hooks/useCursorPager';
import { DEAD_LETTER_STATUSES, parseDeadLetterFilters, serialiseDeadLetterFilters, type DeadLetterFilters } from '../lib/listFilters';
import { browserTimeZone } from '../lib/time';

export function DeadLettersPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseDeadLetterFilters(params), [params]);
  const pager = useCursorPager();
  const letters = useDeadLetters(filters, pager.cursor);
  const loading = letters.isPlaceholderData || letters.isFetching;
  const update = (patch: Partial<DeadLetterFilters>) => setParams(serialiseDeadLetterFilters({ ...filters, ...patch }));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Dead letters</h1>
        <label className="inline">
          Status
          <select value={filters.status} onChange={(e) => update({ status: e.target.value as DeadLetterStatusFilter })} data-testid="dead-letters-status">
            {DEAD_LETTER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryView
        query={letters}
        loadingLabel="Loading dead letters…"
        isEmpty={(d) => d.dead_letters.length === 0 && pager.page === 1 && Object.keys(d.counts_by_reason).length === 0}
        empty={<EmptyView title={filters.status === 'new' ? 'No dead letters waiting: every record made it through.' : `No ${filters.status === 'all' ? '' : `${filters.status} `}dead letters.`} />}
      >
        {(d) => (
          <>
            <ReasonChips counts={d.counts_by_reason} active={filters.reason} onPick={(reason) => update({ reason })} />
            {d.dead_letters.length === 0 ? (
              <EmptyView title="No dead letters for this reason and status." />
            ) : (
              <DeadLetterList key={`${params.toString()}|${pager.cursor ?? ''}`} letters={d.dead_letters} tz={tz} />
            )}
            <Pager
              page={pager.page}
              hasNext={!letters.isPlaceholderData && d.next_cursor !== null}
              busy={loading}
              onPrev={pager.prev}
              onNext={() => d.next_cursor && pager.next(d.next_cursor)}
              prevTestId="dead-letters-prev"
              nextTestId="dead-letters-next"
            />
          </>
        )}
      </QueryView>
    </div>
  );
}
