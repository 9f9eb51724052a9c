import { Link } from 'react-router-dom';
import type { TopType } from '../../api/types';
import { formatNumber, formatShare } from '../../lib/format';
import { ChangeBadge } from '../ChangeBadge';
import { colorAt } from '../chartOptions';
import { Sparkline } from '../Sparkline';

/** Top types of the last 24 h; `sparks` holds each type's hourly counts when they have arrived. */
export function TopTypesTable({ types, total, sparks, chartTypes }: {
  types: TopType[];
  total: number;
  sparks: Map<string, number[]>;
  chartTypes: string[];
}) {
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
          const colorIndex = chartTypes.indexOf(t.event_type);
          const values = sparks.get(t.event_type);
          return (
            <tr key={t.event_type} data-testid="top-type-row" data-event-type={t.event_type}>
              <td>
                {colorIndex >= 0 && <span className="swatch" style={{ background: colorAt(colorIndex) }} />}
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
                  <Sparkline values={values} label={`${t.event_type}, hourly counts over 24 h`} color={colorIndex >= 0 ? colorAt(colorIndex) : undefined} />
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
