import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useCatalog } from '../api/queries';
import type { CatalogStatus } from '../api/types';
import { CatalogTable } from '../components/catalog/CatalogTable';
import { EmptyView, QueryView } from '../components/StateViews';
import { TenantFreshness } from '../components/TenantFreshness';
import { useDebouncedCallback } from '../hooks/useDebouncedCallback';
import { CATALOG_STATUSES, parseCatalogFilters, serialiseCatalogFilters } from '../lib/listFilters';
import { browserTimeZone } from '../lib/time';

export function CatalogPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseCatalogFilters(params), [params]);
  const catalog = useCatalog(filters);
  const [search, setSearch] = useState(filters.q);
  const [shownQ, setShownQ] = useState(filters.q);
  if (shownQ !== filters.q) {
    // The URL changed from outside the box (back button): show what is in force.
    setShownQ(filters.q);
    setSearch(filters.q);
  }
  const pushQ = useDebouncedCallback((q: string) => {
    setShownQ(q.trim());
    setParams(serialiseCatalogFilters({ ...filters, q: q.trim() }), { replace: true });
  }, 300);

  const filtered = filters.q !== '' || filters.status !== '';
  return (
    <div className="page">
      <div className="page-head">
        <h1>Event catalog</h1>
        <TenantFreshness tz={tz} />
      </div>
      <div className="card filter-row catalog-filters">
        <label>
          Status
          <select
            value={filters.status}
            onChange={(e) => setParams(serialiseCatalogFilters({ ...filters, status: e.target.value as CatalogStatus | '' }), { replace: true })}
            data-testid="catalog-status"
          >
            <option value="">All</option>
            {CATALOG_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name contains
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              pushQ(e.target.value);
            }}
            placeholder="search…"
            data-testid="catalog-search"
          />
        </label>
      </div>
      <QueryView
        query={catalog}
        isEmpty={(d) => d.event_types.length === 0}
        empty={<EmptyView title={filtered ? 'No event types match these filters.' : 'No event types yet: they appear when the first events arrive.'} />}
      >
        {(d) => <CatalogTable items={d.event_types} tz={tz} />}
      </QueryView>
    </div>
  );
}
