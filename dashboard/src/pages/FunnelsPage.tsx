import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useAllEventTypes, useFunnel } from '../api/queries';
import { FunnelBreakdownTable } from '../components/funnels/FunnelBreakdownTable';
import { FunnelChart } from '../components/funnels/FunnelChart';
import { FunnelForm } from '../components/funnels/FunnelForm';
import { EmptyView, QueryView } from '../components/StateViews';
import { formatDuration } from '../lib/format';
import { funnelProblem, parseFunnelQuery, serialiseFunnelQuery, type FunnelQuery } from '../lib/funnelQuery';
import { browserTimeZone, formatDateTime } from '../lib/time';

export function FunnelsPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => parseFunnelQuery(params), [params]);
  const ready = funnelProblem(query) === null;
  const funnel = useFunnel(query, ready);
  const catalog = useAllEventTypes();
  const typeOptions = useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);
  const run = (next: FunnelQuery) => setParams(serialiseFunnelQuery(next));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Funnels</h1>
      </div>
      {/* keyed by the URL: back, forward or a pasted link puts the form back to what runs */}
      <FunnelForm key={params.toString()} query={query} onRun={run} typeOptions={typeOptions} tz={tz} />
      {!ready ? (
        <EmptyView title="Pick an event type for each step, then run the funnel.">
          <p className="muted">People count once, by user (anonymous visits they made before signing in included), from their first step 1 in the range.</p>
        </EmptyView>
      ) : (
        <QueryView query={funnel} loadingLabel="Running the funnel…">
          {(data) => (
            <>
              <section className="card">
                <p className="muted small" data-testid="funnel-summary">
                  People who did step 1 from {formatDateTime(data.start, tz)} to {formatDateTime(data.end, tz)}, each later step within{' '}
                  {formatDuration(data.window_seconds)} of it.
                </p>
                {data.steps[0]?.count === 0 && <p className="muted" data-testid="funnel-empty">Nobody did step 1 in this range.</p>}
                <FunnelChart steps={data.steps} />
              </section>
              {data.breakdown && (
                <section className="card">
                  <h2>By {data.breakdown}</h2>
                  <FunnelBreakdownTable steps={data.steps} breakdowns={data.breakdowns} property={data.breakdown} />
                </section>
              )}
            </>
          )}
        </QueryView>
      )}
    </div>
  );
}
