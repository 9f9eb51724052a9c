import { Link } from 'react-router-dom';
import type { TopType } from '../../api/types';
import { formatNumber, formatShare } from '../../lib/format';
import { ChangeBadge } from '../ChangeBadge';
import { Sparkline } from '../Sparkline';
import { useTypeColors } from '../TypeColors';

/**
 * Top types of the last 24 h; `sparks` holds each type's hourly counts when they have arrived, and
 * `sparkPartialFrom` the first hour that is still filling.
 */
export function TopTypesTable({ types, total, sparks, sparkPartialFrom }: {
  types: TopType[];
  total: number;
  sparks: Map<string, number[]>;
  sparkPartialFrom: number;
}) {
  const typeColor = useTypeColors();
  return (
    <table className="table" data-testid="top-types">
      <thead>
        <tr>
          <th>Event type</th>
          <th className="num">Count</th>
          <th className="num">Share</th>
          <th className="num">Change</th>
          <th>Last 24 h, hourly</th>
        </tr>
      </thead>
      <tbody>
        {types.map((t) => {
          const values = sparks.get(t.event_type);
          const color = typeColor(t.event_type);
          return (
            <tr key={t.event_type} data-testid="top-type-row" data-event-type={t.event_type}>
              <td>
                <span className="swatch" style={{ background: color }} data-testid="type-swatch" data-color={color} />
                <Link to={`/metrics?${new URLSearchParams({ types: t.event_type, range: '24h' })}`}>{t.event_type}</Link>
              </td>
              <td className="num" data-testid="top-type-count">
                {formatNumber(t.count)}
              </td>
              <td className="num muted">{formatShare(t.count, total)}</td>
              <td className="num">
                <ChangeBadge pct={t.change_pct} current={t.count} />
              </td>
              <td>
                {values ? (
                  <Sparkline values={values} partialFrom={sparkPartialFrom} label={`${t.event_type}, hourly counts over 24 h`} color={color} />
                ) : (
                  <span className="sparkline-placeholder" />
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
