import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { useTrend } from '../../api/insightQueries';
import type { TrendResponse } from '../../api/types';
import { trendPartialFrom } from '../../lib/buckets';
import { describeFilter } from '../../lib/propertyFilters';
import { MEASURES, type InsightQuery } from '../../lib/insightQuery';
import { attachPrevious, intervalMs, previousShiftMs } from '../../lib/previousPeriod';
import { refreshMsFor } from '../../lib/range';
import { breakdownColors, lineKey, trendChart } from '../../lib/trendSeries';
import { Chart } from '../Chart';
import { Freshness } from '../Freshness';
import { SeriesTable } from '../metrics/SeriesTable';
import { EmptyView, ErrorView, LoadingView, StaleBanner } from '../StateViews';
import { TypeColorsOverride } from '../TypeColors';

const CHART_HEIGHT = 340;
/** A raw-events answer costs more than a live poll is worth: at most every 15 s, and the previous period every minute. */
const MIN_REFRESH_MS = 15_000;
const PREVIOUS_REFRESH_MS = 60_000;

function SourceNote({ data }: { data: TrendResponse }) {
  if (data.source === 'rollup') {
    return (
      <span className="source-note" data-testid="insight-source" data-source="rollup">
        from rollups (fast)
      </span>
    );
  }
  const mark = data.breakdown ?? data.property;
  return (
    <span className="source-note source-raw" data-testid="insight-source" data-source="raw">
      from raw events (slower)
      {mark && (
        <>
          {' '}· mark <code>{mark}</code> in the <Link to={`/catalog/${encodeURIComponent(data.type)}`}>catalog</Link> to answer from rollups
        </>
      )}
    </span>
  );
}

/**
 * A query the API will not answer as asked: a 422 (a bad filter, a raw scan past its time limit) or a
 * 400 naming a parameter (too many points). Its words go beside the builder that can fix it.
 */
export function isAdvice(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 422 || (error.status === 400 && error.field !== null));
}

/** What the API said, with the field it names. */
function Advice({ error }: { error: ApiError }) {
  return (
    <div className="state state-error" role="alert" data-testid="insight-advice" data-field={error.field ?? ''}>
      <p className="state-title">This chart cannot be drawn as asked</p>
      <p>
        <span data-testid="insight-advice-message">{error.message}</span>
        {error.field && (
          <span className="muted">
            {' '}(field <code>{error.field}</code>)
          </span>
        )}
      </p>
    </div>
  );
}

export function caption(q: InsightQuery): string {
  const measure = MEASURES.find((m) => m.value === q.measure)?.label ?? q.measure;
  const what = q.property ? `${measure} ${q.property}` : measure;
  const by = q.breakdown ? ` by ${q.breakdown}` : '';
  const where = q.filters.length > 0 ? ` where ${q.filters.map(describeFilter).join(' and ')}` : '';
  return `${what} of ${q.type}${by}${where}`;
}

export function InsightResult({ query, onCompare }: { query: InsightQuery; onCompare: (on: boolean) => void }) {
  const now = Date.now();
  const refetchMs = refreshMsFor(query.range, query.interval, now);
  const trend = useTrend(query, { refetchMs: refetchMs === false ? false : Math.max(MIN_REFRESH_MS, refetchMs), enabled: true });
  const shiftMs = previousShiftMs(query.range, now);
  const previous = useTrend(query, { refetchMs: refetchMs === false ? false : PREVIOUS_REFRESH_MS, enabled: query.compare && shiftMs > 0, shiftMs });

  const chart = useMemo(() => (trend.data ? trendChart(trend.data) : null), [trend.data]);
  const before = useMemo(() => (previous.data ? trendChart(previous.data) : undefined), [previous.data]);
  const lines = useMemo(() => {
    if (!chart) return [];
    const withBefore = query.compare && before ? { xs: before.xs, lines: before.lines } : undefined;
    return attachPrevious(chart.xs, chart.lines, withBefore, shiftMs, intervalMs(query.interval), lineKey);
  }, [chart, before, query.compare, shiftMs, query.interval]);
  const colors = useMemo(() => (query.breakdown && chart ? breakdownColors(chart.lines) : null), [query.breakdown, chart]);

  if (trend.data === undefined || chart === null) {
    if (isAdvice(trend.error)) return <Advice error={trend.error} />;
    if (trend.isError) return <ErrorView error={trend.error} />;
    return <LoadingView label="Asking for the insight…" />;
  }
  const data = trend.data;
  // As on the series chart: a bucket is "so far" until it has ended and the watermark has passed its end.
  const partialFrom = trendPartialFrom(chart.xs, data, now);
  const totals = lines.map((l) => l.total);
  const drawn = (
    <Chart
      xs={chart.xs}
      series={lines}
      tz={query.tz}
      height={CHART_HEIGHT}
      testId="insight-chart"
      partialFrom={partialFrom}
      compare={{ on: query.compare, onChange: onCompare }}
    />
  );
  return (
    <>
      {isAdvice(trend.error) ? <Advice error={trend.error} /> : trend.isError && <StaleBanner error={trend.error} />}
      <section className="card" data-testid="insight-result" data-fetching={trend.isFetching}>
        <div className="section-head">
          <h2 data-testid="insight-caption">{caption(query)}</h2>
          <SourceNote data={data} />
          <Freshness freshness={data.freshness} tz={query.tz} fetching={trend.isFetching} updatedAt={trend.dataUpdatedAt} />
        </div>
        {query.compare && previous.isError && <StaleBanner error={previous.error} />}
        {lines.length === 0 && <EmptyView title="No events match in this range." />}
        {colors ? <TypeColorsOverride colors={colors}>{drawn}</TypeColorsOverride> : drawn}
      </section>
      <section className="card">
        <SeriesTable xs={chart.xs} series={lines} tz={query.tz} totals={totals} partialFrom={partialFrom} />
      </section>
    </>
  );
}
