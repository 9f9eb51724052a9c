import type { AlertHistoryEntry, NotificationOutcome } from '../../api/types';
import { useEndpointLabel } from '../../hooks/useEndpointLabel';
import { expectedText, OUTCOME_TEXT, transitionText } from '../../lib/alerts';
import { formatNumber } from '../../lib/format';
import { BADGE_TONE, StatusBadge } from '../StatusBadge';
import { Time } from '../Time';
import { DeliveryList } from './DeliveryList';

function OutcomeBadge({ outcome }: { outcome: NotificationOutcome }) {
  const shown = OUTCOME_TEXT[outcome] ?? OUTCOME_TEXT.pending;
  return (
    <span className={`badge badge-${BADGE_TONE[shown.tone] ?? 'muted'} nowrap`} data-testid="history-notification" data-value={outcome} title={shown.title}>
      {shown.text}
    </span>
  );
}

function HistoryRow({ entry, tz, endpointLabel }: { entry: AlertHistoryEntry; tz: string; endpointLabel: (id: string) => string }) {
  return (
    <tr data-testid="history-row" data-id={entry.id} data-kind={entry.kind}>
      <td className="nowrap">
        <Time value={entry.created_at} tz={tz} />
      </td>
      <td className="nowrap" data-testid="history-transition">
        {entry.kind === 'repeat' ? (
          <span className="muted">{transitionText(entry)}</span>
        ) : (
          <>
            <StatusBadge value={entry.from_state} /> → <StatusBadge value={entry.to_state} />
          </>
        )}
      </td>
      <td className="num" data-testid="history-observed">
        {formatNumber(entry.observed_value)}
      </td>
      <td data-testid="history-expected">{expectedText(entry.expected)}</td>
      <td className="nowrap small">
        <Time value={entry.bucket_start} tz={tz} />
        <br />→ <Time value={entry.bucket_end} tz={tz} />
      </td>
      <td>
        <OutcomeBadge outcome={entry.notification_outcome} />
        {entry.notified_at && entry.notification_outcome !== 'no_channels' && (
          <div className="muted small">
            <Time value={entry.notified_at} tz={tz} />
          </div>
        )}
      </td>
      <td>
        <DeliveryList deliveries={entry.deliveries} endpointLabel={endpointLabel} />
      </td>
      <td>
        {entry.trace_id ? (
          <a className="trace-id" title="Trace id (search it in your tracing tool)" data-testid="history-trace-id">
            {entry.trace_id}
          </a>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

export function HistoryTable({ entries, tz, loading }: { entries: AlertHistoryEntry[]; tz: string; loading: boolean }) {
  const endpointLabel = useEndpointLabel();
  return (
    <div className="table-scroll">
      <table className="table" data-testid="history-table" aria-busy={loading}>
        <thead>
          <tr>
            <th>Time ({tz})</th>
            <th>Transition</th>
            <th className="num">Observed</th>
            <th>Expected</th>
            <th>Window</th>
            <th>Notification</th>
            <th>Deliveries</th>
            <th>Trace id</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <HistoryRow key={e.id} entry={e} tz={tz} endpointLabel={endpointLabel} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
