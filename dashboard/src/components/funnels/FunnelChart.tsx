import type { FunnelStepResult } from '../../api/types';
import { formatDuration, formatNumber } from '../../lib/format';
import { conversionText, stepLabel } from '../../lib/funnelView';

/** One bar per step, as tall as its share of the people who entered; counts, conversion and time beside. */
export function FunnelChart({ steps, testId = 'funnel-chart' }: { steps: FunnelStepResult[]; testId?: string }) {
  const first = steps[0]?.count ?? 0;
  return (
    <div className="funnel-chart" role="list" aria-label="Conversion per step" data-testid={testId}>
      {steps.map((step, i) => {
        const share = first > 0 ? step.count / first : 0;
        return (
          <div className="funnel-col" role="listitem" key={i} data-testid={`funnel-bar-${i}`}>
            <div className="funnel-track" title={`${formatNumber(step.count)} people`}>
              <div className="funnel-bar" style={{ height: `${Math.max(share * 100, step.count > 0 ? 1 : 0)}%` }} />
            </div>
            <div className="funnel-label">{stepLabel(step, i)}</div>
            <div className="funnel-count" data-testid={`funnel-count-${i}`}>
              {formatNumber(step.count)}
            </div>
            <div className="funnel-conv" data-testid={`funnel-conversion-${i}`}>
              {conversionText(step, i)}
            </div>
            {i > 0 && (
              <div className="muted small" data-testid={`funnel-median-${i}`}>
                median {formatDuration(step.median_seconds_from_previous)}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
