import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { LIVE_REFRESH_MS, useAlerts, useSeries, useSummary } from '../api/queries';
import { Chart } from '../components/Chart';
import { Freshness } from '../components/Freshness';
import { FiringBanner } from '../components/overview/FiringBanner';
import { SummaryCards } from '../components/overview/SummaryCards';
import { TopTypesTable } from '../components/overview/TopTypesTable';
import { EmptyView, ErrorView, LoadingView, QueryView, StaleBanner } from '../components/StateViews';
import { readInt } from '../lib/params';
import type { RangeSpec } from '../lib/range';
import { firingRules } from '../lib/alerts';
import { seriesPartialFrom } from '../lib/buckets';
import { attachPrevious, previousShiftMs } from '../lib/previousPeriod';
import { denseSeries, orderByLabels } from '../lib/series';
import { browserTimeZone } from '../lib/time';

const LAST_DAY: RangeSpec = { kind: 'preset', preset: '24h' };
const LAST_HOUR: RangeSpec = { kind: 'preset', preset: '1h' };
const LAST_HOUR_MS = previousShiftMs(LAST_HOUR, 0);
const TOP_CHOICES = [5, 10, 20];
/** More lines than this at once stop being readable: the rest of the table's types start hidden. */
const CHART_SHOWN_TYPES = 5;
const CHART_HEIGHT = 300;

export function OverviewPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  // At most 20: the sparklines come from one series request, which takes 20 types.
  const top = readInt(params, 'top', 10, 1, 20);
  const summary = useSummary(LAST_DAY, top);

  const typeNames = useMemo(() => (summary.data?.top_types ?? []).map((t) => t.event_type), [summary.data]);
  // Every type of the table is on the chart (a toggle away), so the two never disagree.
  const chartTypes = typeNames;
  const hiddenAtFirst = useMemo(() => typeNames.slice(CHART_SHOWN_TYPES), [typeNames]);
  const firing = firingRules(useAlerts().data?.rules ?? []);

  const compare = params.get('compare') === 'previous';
  const liveParams = useMemo(() => ({ types: chartTypes, metric: 'count' as const, interval: '1m' as const, range: LAST_HOUR, tz }), [chartTypes, tz]);
  const live = useSeries(liveParams, { refetchMs: LIVE_REFRESH_MS });
  // The hour before: complete long ago, so a minute's pace is plenty.
  const previous = useSeries(liveParams, { refetchMs: 60_000, enabled: compare, shiftMs: LAST_HOUR_MS });
  const sparks = useSeries({ types: typeNames, metric: 'count', interval: '1h', range: LAST_DAY, tz }, { refetchMs: 60_000 });

  const chartSeries = useMemo(() => {
    if (!live.data) return [];
    const lines = orderByLabels(denseSeries(live.data), chartTypes);
    const before = compare && previous.data ? { xs: previous.data.buckets_ms, lines: denseSeries(previous.data) } : undefined;
    return attachPrevious(live.data.buckets_ms, lines, before, LAST_HOUR_MS, 60_000);
  }, [live.data, previous.data, chartTypes, compare]);
  const setCompare = (on: boolean) => {
    const next = new URLSearchParams(params);
    if (on) next.set('compare', 'previous');
    else next.delete('compare');
    setParams(next, { replace: true });
  };
  const now = Date.now();
  const sparkPartialFrom = sparks.data ? seriesPartialFrom(sparks.data, now) : Number.MAX_SAFE_INTEGER;
  const sparkValues = useMemo(
    () => new Map((sparks.data ? denseSeries(sparks.data) : []).map((s) => [s.label, s.values])),
    [sparks.data],
  );

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <Freshness freshness={summary.data?.freshness} tz={tz} fetching={summary.isFetching || live.isFetching} updatedAt={summary.dataUpdatedAt || undefined} />
      </div>
      <FiringBanner rules={firing} tz={tz} />
      <QueryView
        query={summary}
        isEmpty={(s) => s.total === 0 && s.top_types.length === 0}
        empty={
          <EmptyView title="No events in the last 24 hours">
            <p>
              Send events to <code>POST /v1/events</code> with an ingest key (create one in <Link to="/settings">Settings</Link>); they show up here within seconds.
            </p>
          </EmptyView>
        }
      >
        {(s) => (
          <>
            <SummaryCards summary={s} />
            <section className="card">
              <div className="section-head">
                <h2>Top types, last hour (1-minute buckets)</h2>
                <span className="muted small">
                  refreshes every {LIVE_REFRESH_MS / 1000} s · dotted and shaded: the minute still filling · {tz}
                </span>
              </div>
              {live.isError && live.data !== undefined && <StaleBanner error={live.error} />}
              {live.data === undefined && live.isError ? (
                <ErrorView error={live.error} />
              ) : live.data === undefined ? (
                <div style={{ height: CHART_HEIGHT }}>
                  <LoadingView label="Loading chart…" />
                </div>
              ) : (
                <Chart
                  xs={live.data.buckets_ms}
                  series={chartSeries}
                  tz={tz}
                  height={CHART_HEIGHT}
                  testId="overview-chart"
                  partialFrom={seriesPartialFrom(live.data, now)}
                  initiallyHidden={hiddenAtFirst}
                  compare={{ on: compare, onChange: setCompare }}
                />
              )}
            </section>
            <section className="card">
              <div className="section-head">
                <h2>Top event types, last 24 h</h2>
                <label className="inline">
                  Show
                  <select value={top} onChange={(e) => setParams({ ...Object.fromEntries(params), top: e.target.value }, { replace: true })} data-testid="overview-top">
                    {[...new Set([...TOP_CHOICES, top])].sort((a, b) => a - b).map((n) => (
                      <option key={n} value={n}>
                        top {n}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <TopTypesTable types={s.top_types} total={s.total} sparks={sparkValues} sparkPartialFrom={sparkPartialFrom} />
            </section>
          </>
        )}
      </QueryView>
    </div>
  );
}
