import { useMemo, type ReactNode } from 'react';
import { useTrend } from '../../api/insightQueries';
import { useAllEventTypes, useCatalogItem } from '../../api/queries';
import { missingPart, type InsightQuery } from '../../lib/insightQuery';
import { resolveRange, validateSeriesRange } from '../../lib/range';
import { EmptyView } from '../StateViews';
import { InsightControls } from './InsightControls';
import { InsightResult, isAdvice } from './InsightResult';

/** Metrics' insight view: one event type, measured, broken down and filtered (GET /v1/insights/trend). */
export function InsightView({ query, update, switcher }: { query: InsightQuery; update: (patch: Partial<InsightQuery>) => void; switcher: ReactNode }) {
  const catalog = useAllEventTypes();
  const typeOptions = useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);
  const detail = useCatalogItem(query.type, query.type !== '');
  const missing = missingPart(query);
  const { fromMs, toMs } = resolveRange(query.range, Date.now());
  const invalid = validateSeriesRange(query.interval, fromMs, toMs);
  // The same cached query InsightResult runs: its 422 names the control to mark.
  const trend = useTrend(query, { refetchMs: false, enabled: false });
  const errorField = isAdvice(trend.error) ? trend.error.field : null;

  return (
    <>
      <div className="page-head">
        <h1>Metrics</h1>
        {switcher}
      </div>
      <InsightControls query={query} onChange={update} typeOptions={typeOptions} properties={detail.data?.properties} errorField={errorField} />
      {missing !== null ? (
        <EmptyView title={missing}>
          {query.type === '' && typeOptions.length > 0 && (
            <p>
              Try:{' '}
              {typeOptions.slice(0, 5).map((name) => (
                <button key={name} type="button" className="chip-button" onClick={() => update({ type: name })}>
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
        <InsightResult query={query} onCompare={(compare) => update({ compare })} />
      )}
    </>
  );
}
