import { useMemo } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useCatalogItem, useIsAdmin } from '../api/queries';
import type { CatalogDetail } from '../api/types';
import { CatalogEditForm } from '../components/catalog/CatalogEditForm';
import { RollupToggles } from '../components/catalog/RollupToggles';
import { EmptyView, QueryView } from '../components/StateViews';
import { StatusBadge } from '../components/StatusBadge';
import { Time } from '../components/Time';
import { formatNumber } from '../lib/format';
import { browserTimeZone } from '../lib/time';

function PropertiesTable({ item, tz }: { item: CatalogDetail; tz: string }) {
  const canEdit = useIsAdmin() ?? false;
  if (item.properties.length === 0) return <EmptyView title="No properties seen on this type yet." />;
  return (
    <table className="table" data-testid="catalog-properties">
      <thead>
        <tr>
          <th>Property</th>
          <th>Types seen</th>
          <th title="receive time of the first batch that carried it">First received ({tz})</th>
          <th title="receive time of the latest batch that carried it">Last received ({tz})</th>
          <th colSpan={2} title="pre-aggregated hourly, so that breakdowns and sums answer fast (at most 5 of each per type)">
            Rollups{canEdit ? '' : ' (admin key to change)'}
          </th>
        </tr>
      </thead>
      <tbody>
        {item.properties.map((p) => (
          <tr key={p.name} data-testid="catalog-property" data-name={p.name}>
            <td>
              <code>{p.name}</code>
            </td>
            <td>{p.types.join(', ')}</td>
            <td className="nowrap">
              <Time value={p.first_seen_at} tz={tz} />
            </td>
            <td className="nowrap">
              <Time value={p.last_seen_at} tz={tz} />
            </td>
            <RollupToggles typeName={item.name} property={p} tz={tz} canEdit={canEdit} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CatalogDetailPage() {
  const tz = useMemo(browserTimeZone, []);
  const { name = '' } = useParams();
  const item = useCatalogItem(name);
  return (
    <div className="page">
      <p>
        <Link to="/catalog">← Catalog</Link>
      </p>
      <QueryView query={item} loadingLabel="Loading event type…">
        {(t) => (
          <div data-testid="catalog-detail">
            <div className="page-head">
              <h1>{t.name}</h1>
              <StatusBadge value={t.status} testId="catalog-detail-status" />
            </div>
            <section className="card">
              <dl className="facts">
                <div>
                  <dt>Volume</dt>
                  <dd>{formatNumber(t.volume_total)} events</dd>
                </div>
                <div>
                  <dt>First event (event time)</dt>
                  <dd data-testid="catalog-detail-first-event"><Time value={t.first_event_at} tz={tz} /></dd>
                </div>
                <div>
                  <dt>Last event (event time)</dt>
                  <dd data-testid="catalog-detail-last-event"><Time value={t.last_event_at} tz={tz} /></dd>
                </div>
                <div>
                  <dt>First received (receive time)</dt>
                  <dd data-testid="catalog-detail-first-received"><Time value={t.first_seen_at} tz={tz} /></dd>
                </div>
                <div>
                  <dt>Last received (receive time)</dt>
                  <dd><Time value={t.last_seen_at} tz={tz} /></dd>
                </div>
                <div>
                  <dt>Owner</dt>
                  <dd>{t.owner ?? '—'}</dd>
                </div>
                <div>
                  <dt>Updated</dt>
                  <dd><Time value={t.updated_at} tz={tz} /></dd>
                </div>
                <div>
                  <dt>Chart</dt>
                  <dd>
                    <Link to={`/metrics?${new URLSearchParams({ types: t.name, range: '7d' })}`}>last 7 days</Link>
                    {' · '}
                    <Link to={`/metrics?${new URLSearchParams({ view: 'insight', type: t.name, range: '7d' })}`}>build an insight</Link>
                  </dd>
                </div>
              </dl>
              {t.description && <p className="description">{t.description}</p>}
            </section>
            <section className="card">
              <h2>Properties</h2>
              <PropertiesTable item={t} tz={tz} />
            </section>
            <CatalogEditForm key={t.name} item={t} tz={tz} />
          </div>
        )}
      </QueryView>
    </div>
  );
}
