import type { WebhookDelivery } from '../../api/types';
import { StatusBadge } from '../StatusBadge';

/** Per endpoint: where it went, how it went, and the receiver's error if any. */
export function DeliveryList({ deliveries, endpointLabel }: { deliveries: WebhookDelivery[]; endpointLabel: (id: string) => string }) {
  if (deliveries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="delivery-list" data-testid="history-deliveries">
      {deliveries.map((d) => (
        <li key={d.id} data-testid="history-delivery" data-status={d.status}>
          <code className="small" title={d.endpoint_id}>
            {endpointLabel(d.endpoint_id)}
          </code>{' '}
          <StatusBadge value={d.status} />
          {d.attempts > 1 && <span className="muted small"> {d.attempts} attempts</span>}
          {d.error && <div className="field-error small">{d.error}</div>}
        </li>
      ))}
    </ul>
  );
}
