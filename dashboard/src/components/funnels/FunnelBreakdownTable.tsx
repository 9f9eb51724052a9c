import type { FunnelBreakdown, FunnelStepResult } from '../../api/types';
import { formatDuration, formatNumber } from '../../lib/format';
import { percent, stepLabel } from '../../lib/funnelView';

/** One row per breakdown value: people per step with the conversion from the first step. */
export function FunnelBreakdownTable({ steps, breakdowns, property }: { steps: FunnelStepResult[]; breakdowns: FunnelBreakdown[]; property: string }) {
  return (
    <div className="table-scroll">
      <table className="table" data-testid="funnel-breakdown">
        <thead>
          <tr>
            <th>{property}</th>
            {steps.map((s, i) => (
              <th key={i} className="num">
                {stepLabel(s, i)}
              </th>
            ))}
            <th className="num">Overall</th>
          </tr>
        </thead>
        <tbody>
          {breakdowns.map((b) => {
            const last = b.steps[b.steps.length - 1];
            return (
              <tr key={b.label} data-testid="funnel-breakdown-row">
                <td>{b.label}</td>
                {b.steps.map((s, i) => (
                  <td key={i} className="num" title={i > 0 ? `median ${formatDuration(s.median_seconds_from_previous)} from the step before` : undefined}>
                    {formatNumber(s.count)}
                    {i > 0 && <span className="muted small"> ({percent(s.conversion_from_previous)})</span>}
                  </td>
                ))}
                <td className="num">{percent(last?.conversion_from_first ?? null)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
