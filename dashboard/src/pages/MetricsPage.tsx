import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { InsightView } from '../components/insights/InsightView';
import { TypesView } from '../components/metrics/TypesView';
import { parseInsightQuery, serialiseInsightQuery, type InsightQuery } from '../lib/insightQuery';
import { parseMetricsFilters, serialiseMetricsFilters, type MetricsFilters } from '../lib/metricsFilters';
import { switchView, type MetricsView } from '../lib/metricsView';
import { browserTimeZone } from '../lib/time';

const VIEWS: readonly { value: MetricsView; label: string }[] = [
  { value: 'types', label: 'Event types' },
  { value: 'insight', label: 'Insight' },
];

/** Two views over one URL: `view=insight` builds an insight, anything else charts event types. */
export function MetricsPage() {
  const browserTz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const view: MetricsView = params.get('view') === 'insight' ? 'insight' : 'types';
  const filters = useMemo(() => parseMetricsFilters(params, browserTz), [params, browserTz]);
  const query = useMemo(() => parseInsightQuery(params, browserTz), [params, browserTz]);
  const updateTypes = (patch: Partial<MetricsFilters>) => setParams(serialiseMetricsFilters({ ...filters, ...patch }), { replace: true });
  const updateInsight = (patch: Partial<InsightQuery>) => setParams(serialiseInsightQuery({ ...query, ...patch }), { replace: true });

  const switcher = (
    <div className="view-switch" role="tablist" aria-label="Metrics view">
      {VIEWS.map((v) => (
        <button
          key={v.value}
          type="button"
          role="tab"
          aria-selected={view === v.value}
          className={`chip-button${view === v.value ? ' active' : ''}`}
          onClick={() => view !== v.value && setParams(switchView(v.value, filters, query))}
          data-testid={`metrics-view-${v.value}`}
        >
          {v.label}
        </button>
      ))}
    </div>
  );
  return (
    <div className="page">
      {view === 'insight' ? <InsightView query={query} update={updateInsight} switcher={switcher} /> : <TypesView filters={filters} update={updateTypes} switcher={switcher} />}
    </div>
  );
}
