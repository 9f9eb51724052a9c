import type { Freshness as FreshnessValue } from '../api/types';
import { freshnessLevel, freshnessText } from '../lib/freshness';
import { formatClock } from '../lib/time';

/**
 * How complete the numbers are ("complete up to 14:05:12, lag 2.1 s"), and a dot that pulses while
 * a refresh is in flight: the page says it is live without swapping anything for a spinner.
 */
export function Freshness({ freshness, tz, fetching, updatedAt }: {
  freshness: FreshnessValue | null | undefined;
  tz: string;
  fetching?: boolean;
  updatedAt?: number;
}) {
  const level = freshnessLevel(freshness?.lag_seconds);
  const text = freshnessText(freshness, tz, Date.now());
  return (
    <div className={`freshness freshness-${level}`} data-testid="freshness" data-level={level}>
      <span className={`live-dot${fetching ? ' live-dot-busy' : ''}`} aria-hidden="true" />
      <span data-testid="freshness-text">{text}</span>
      {updatedAt ? <span className="muted"> · fetched {formatClock(updatedAt, tz)}</span> : null}
    </div>
  );
}
