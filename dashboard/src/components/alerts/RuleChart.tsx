import { useMemo } from 'react';
import { useRuleWindows } from '../../api/ruleWindowsQuery';
import type { RuleDetail } from '../../api/types';
import { seriesPartialFrom } from '../../lib/buckets';
import { formatWindow, measureText, metricText } from '../../lib/alerts';
import { RULE_CHART_WINDOWS, ruleChartPlan, thresholdLine, windowValues } from '../../lib/ruleWindows';
import { Chart } from '../Chart';
import { ErrorView, LoadingView } from '../StateViews';

const BUCKET_MS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;

/** The rule's metric over its last windows, against its threshold: how close it is, and how often. */
export function RuleChart({ rule, tz }: { rule: RuleDetail; tz: string }) {
  // The series route counts all events of a type: a summed or filtered rule is not drawn from it.
  const plain = (rule.filters ?? []).length === 0;
  const plan = useMemo(
    () => (plain && (rule.metric === 'count' || rule.metric === 'unique_users') ? ruleChartPlan(rule.metric, rule.window_seconds) : null),
    [plain, rule.metric, rule.window_seconds],
  );
  const series = useRuleWindows(rule, plan);
  const windows = useMemo(() => {
    if (!series.data || !plan) return null;
    const values = series.data.series[0]?.v ?? [];
    return windowValues(series.data.buckets_ms, values, BUCKET_MS[plan.interval], plan.perWindow, seriesPartialFrom(series.data, Date.now()));
  }, [series.data, plan]);
  const lines = useMemo(() => (windows ? [{ label: rule.event_type, values: windows.values }] : []), [windows, rule.event_type]);
  const threshold = thresholdLine(rule.condition);

  return (
    <section className="card" data-testid="rule-chart-card">
      <div className="section-head">
        <h2>
          {metricText(rule)} per {formatWindow(rule.window_seconds)} window, last {RULE_CHART_WINDOWS}
        </h2>
        <span className="muted small">each point is the window ending then · dotted: still filling · {tz}</span>
      </div>
      {plan === null ? (
        <p className="muted" data-testid="rule-chart-unavailable">
          {plain && rule.metric === 'unique_users'
            ? `Unique users over ${formatWindow(rule.window_seconds)} windows cannot be added up from the stored buckets, so they are not drawn here; the history below has each evaluated value.`
            : `The ${measureText(rule)} is not drawn here (the chart reads plain counts); the history below has each evaluated value.`}
        </p>
      ) : series.data === undefined && series.isError ? (
        <ErrorView error={series.error} />
      ) : !windows ? (
        <div style={{ height: 220 }}>
          <LoadingView label="Loading windows…" />
        </div>
      ) : (
        <Chart xs={windows.endsMs} series={lines} tz={tz} height={220} testId="rule-chart" partialFrom={windows.partialFrom} threshold={threshold} pointTitle="window ending " />
      )}
      {plan !== null && threshold === null && <p className="muted small">This condition compares windows with each other, so there is no fixed line; the history shows what was expected each time.</p>}
    </section>
  );
}
