import { useState } from 'react';
import { formatNumber } from '../../lib/format';
import { pageCount, pageIndicesNewestFirst } from '../../lib/series';
import { formatDateTime } from '../../lib/time';

const PAGE_SIZE = 100;

/**
 * The chart's numbers as a table, newest bucket first, 100 rows at a time: 30 days at 1 minute is
 * 43,200 rows, which a browser should never lay out at once.
 */
export function SeriesTable({ xs, series, tz, totals, partialFrom }: {
  xs: number[];
  series: { label: string; values: readonly (number | null)[] }[];
  tz: string;
  /** Each series' total over the whole range, or null where none adds up (unique users, averages). */
  totals: (number | null)[] | null;
  /** Buckets from this index on may still grow: their values are "so far". */
  partialFrom: number;
}) {
  const [page, setPage] = useState(0);
  const pages = pageCount(xs.length, PAGE_SIZE);
  const current = Math.min(page, pages - 1);
  const rows = pageIndicesNewestFirst(xs.length, current, PAGE_SIZE);

  return (
    <div>
      <div className="table-scroll table-box">
        <table className="table" data-testid="metrics-table">
          <thead>
            <tr>
              <th>Bucket start ({tz})</th>
              {series.map((s) => (
                <th key={s.label} className="num">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={xs[i]} className={i >= partialFrom ? 'partial-row' : undefined} data-partial={i >= partialFrom ? 'true' : undefined}>
                <td>
                  {formatDateTime(xs[i] as number, tz)}
                  {i >= partialFrom && <span className="muted small"> · still filling</span>}
                </td>
                {series.map((s) => (
                  <td key={s.label} className="num">
                    {formatNumber(s.values[i])}
                    {i >= partialFrom && s.values[i] !== null && <span className="muted small"> so far</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
          {totals && (
            <tfoot>
              <tr>
                <th>Total, whole range</th>
                {series.map((s, i) => (
                  <th key={s.label} className="num">
                    {formatNumber(totals[i])}
                  </th>
                ))}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      {pages > 1 && (
        <nav className="pager" aria-label="Table pages">
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
            ← Newer
          </button>
          <span className="muted">
            Rows {current * PAGE_SIZE + 1}–{Math.min(xs.length, (current + 1) * PAGE_SIZE)} of {formatNumber(xs.length)}
          </span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Older →
          </button>
        </nav>
      )}
    </div>
  );
}
