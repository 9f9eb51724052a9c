import { useMemo, type ReactNode } from 'react';
import { useAllEventTypes, useSeries } from '../../api/queries';
import type { SeriesResponse } from '../../api/types';
import { seriesPartialFrom } from '../../lib/buckets';
import type { MetricsFilters } from '../../lib/metricsFilters';
import { attachPrevious, intervalMs, previousShiftMs } from '../../lib/previousPeriod';
import { refreshMsFor, resolveRange, validateSeriesRange } from '../../lib/range';
import { denseSeries, orderByLabels, sumValues } from '../../lib/series';
import { formatDateTime } from '../../lib/time';
import { Chart } from '../Chart';
import { Freshness } from '../Freshness';
import { EmptyView, QueryView, StaleBanner } from '../StateViews';
import { MetricsControls } from './MetricsControls';
import { SeriesTable } from './SeriesTable';

/** The previous period changes slowly: once a minute is enough, whatever the current chart's pace. */
const PREVIOUS_REFRESH_MS = 60_000;

/** Metrics' first view: counts or unique users of up to 20 event types, one line each. */
export function TypesView({ filters, update, switcher }: { filters: MetricsFilters; update: (patch: Partial<MetricsFilters>) => void; switcher: ReactNode }) {
  const catalog = useAllEventTypes();
  const typeOptions = useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);

  const now = Date.now();
  const { fromMs, toMs } = resolveRange(filters.range, now);
  const invalid = validateSeriesRange(filters.interval, fromMs, toMs);
  const { types, metric, interval, range, tz } = filters;
  const params = useMemo(() => ({ types, metric, interval, range, tz }), [types, metric, interval, range, tz]);
  const refetchMs = refreshMsFor(filters.range, filters.interval, now);
  const series = useSeries(params, { refetchMs, enabled: invalid === null });
  const shiftMs = previousShiftMs(filters.range, now);
  const previous = useSeries(params, { refetchMs: refetchMs && PREVIOUS_REFRESH_MS, enabled: invalid === null && filters.compare && shiftMs > 0, shiftMs });
  const dense = useMemo(() => {
    if (!series.data) return [];
    const lines = orderByLabels(denseSeries(series.data), filters.types);
    const before = filters.compare && previous.data ? { xs: previous.data.buckets_ms, lines: denseSeries(previous.data) } : undefined;
    return attachPrevious(series.data.buckets_ms, lines, before, shiftMs, intervalMs(filters.interval));
  }, [series.data, previous.data, filters.types, filters.compare, filters.interval, shiftMs]);
  const allZero = dense.every((s) => sumValues(s.values) === 0);
  const partialFrom = (data: SeriesResponse) => seriesPartialFrom(data, now);

  return (
    <>
      <div className="page-head">
        <h1>Metrics</h1>
        {switcher}
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
                {filters.compare && previous.isError && <StaleBanner error={previous.error} />}
                <Chart
                  xs={data.buckets_ms}
                  series={dense}
                  tz={filters.tz}
                  height={340}
                  testId="metrics-chart"
                  partialFrom={partialFrom(data)}
                  compare={{ on: filters.compare, onChange: (compare) => update({ compare }) }}
                />
                {data.sources.hot_from && (
                  <p className="muted small">
                    From {formatDateTime(data.sources.hot_from, filters.tz)} on, these numbers come from the hot store (last 48 h); earlier ones from Postgres.
                  </p>
                )}
              </section>
              <section className="card">
                <SeriesTable
                  xs={data.buckets_ms}
                  series={dense}
                  tz={filters.tz}
                  totals={data.metric === 'count' ? dense.map((s) => sumValues(s.values)) : null}
                  partialFrom={partialFrom(data)}
                />
              </section>
            </>
          )}
        </QueryView>
      )}
    </>
  );
}
