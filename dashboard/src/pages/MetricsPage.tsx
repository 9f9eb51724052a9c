import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useAllEventTypes, useSeries } from '../api/queries';
import type { SeriesResponse } from '../api/types';
import { Chart } from '../components/Chart';
import { Freshness } from '../components/Freshness';
import { MetricsControls } from '../components/metrics/MetricsControls';
import { SeriesTable } from '../components/metrics/SeriesTable';
import { EmptyView, QueryView } from '../components/StateViews';
import { parseMetricsFilters, serialiseMetricsFilters, type MetricsFilters } from '../lib/metricsFilters';
import { seriesPartialFrom } from '../lib/buckets';
import { refreshMsFor, resolveRange, validateSeriesRange } from '../lib/range';
import { denseSeries, orderByLabels, sumValues } from '../lib/series';
import { browserTimeZone, formatDateTime } from '../lib/time';


export function MetricsPage() {
  const browserTz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseMetricsFilters(params, browserTz), [params, browserTz]);
  const update = (patch: Partial<MetricsFilters>) => setParams(serialiseMetricsFilters({ ...filters, ...patch }), { replace: true });

  const catalog = useAllEventTypes();
  const typeOptions = useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);

  const now = Date.now();
  const { fromMs, toMs } = resolveRange(filters.range, now);
  const invalid = validateSeriesRange(filters.interval, fromMs, toMs);
  const series = useSeries(filters, { refetchMs: refreshMsFor(filters.range, filters.interval, now), enabled: invalid === null });
  const dense = useMemo(() => (series.data ? orderByLabels(denseSeries(series.data), filters.types) : []), [series.data, filters.types]);
  const allZero = dense.every((s) => sumValues(s.values) === 0);
  const partialFrom = (data: SeriesResponse) => seriesPartialFrom(data, now);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Metrics</h1>
        {series.data && <Freshness freshness={series.data.freshness} tz={filters.tz} fetching={series.isFetching} updatedAt={series.dataUpdatedAt} />}
      </div>
      <MetricsControls filters={filters} onChange={update} typeOptions={typeOptions} />
      {filters.types.length === 0 ? (
        <EmptyView title="Pick one or more event types to chart.">
          {typeOptions.length > 0 && (
            <p>
              Try:{' '}
              {typeOptions.slice(0, 5).map((name) => (
                <button key={name} type="button" className="chip-button" onClick={() => update({ types: [name] })}>
                  {name}
                </button>
              ))}
            </p>
          )}
        </EmptyView>
      ) : invalid !== null ? (
        <div className="state state-error" role="alert" data-testid="state-error">
          {invalid}
        </div>
      ) : (
        <QueryView query={series} loadingLabel="Loading series…">
          {(data) => (
            <>
              <section className="card">
                {allZero && <p className="muted" data-testid="state-empty">No events of these types in this range.</p>}
                <Chart
                  xs={data.buckets_ms}
                  series={dense}
                  tz={filters.tz}
                  height={340}
                  testId="metrics-chart"
                  partialFrom={partialFrom(data)}
                />
                {data.sources.hot_from && (
                  <p className="muted small">
                    From {formatDateTime(data.sources.hot_from, filters.tz)} on, these numbers come from the hot store (last 48 h); earlier ones from Postgres.
                  </p>
                )}
              </section>
              <section className="card">
                <SeriesTable xs={data.buckets_ms} series={dense} tz={filters.tz} metric={data.metric} partialFrom={partialFrom(data)} />
              </section>
            </>
          )}
        </QueryView>
      )}
    </div>
  );
}
