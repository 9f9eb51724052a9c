import { Link } from 'react-router-dom';
import type { CatalogItem } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';
import { TypeName } from '../TypeName';

export function CatalogTable({ items, tz }: { items: CatalogItem[]; tz: string }) {
  const seen = (value: string | null) => (value ? <Time value={value} tz={tz} /> : <span className="muted">never</span>);
  return (
    <div className="table-scroll">
      <table className="table" data-testid="catalog-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Description</th>
            <th>Owner</th>
            <th title="event time: when the type's earliest event happened">First event ({tz})</th>
            <th title="event time: when the type's latest event happened">Last event ({tz})</th>
            <th title="receive time: when the platform last received one">Last received ({tz})</th>
            <th className="num">Volume</th>
            <th className="num">Properties</th>
          </tr>
        </thead>
        <tbody>
          {items.map((t) => (
            <tr key={t.name} data-testid="catalog-row" data-name={t.name}>
              <td>
                <Link to={`/catalog/${encodeURIComponent(t.name)}`}>
                  <TypeName name={t.name} />
                </Link>
              </td>
              <td>
                <StatusBadge value={t.status} />
              </td>
              <td className="preview" title={t.description}>
                {t.description || <span className="muted">—</span>}
              </td>
              <td>{t.owner ?? <span className="muted">—</span>}</td>
              <td className="nowrap" data-testid="catalog-first-event">
                {seen(t.first_event_at)}
              </td>
              <td className="nowrap" data-testid="catalog-last-event">
                {seen(t.last_event_at)}
              </td>
              <td className="nowrap muted" data-testid="catalog-last-received">
                {seen(t.last_seen_at)}
              </td>
              <td className="num">{formatNumber(t.volume_total)}</td>
              <td className="num">{formatNumber(t.property_count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
