import { useRedeliver, useWebhookDeliveries } from '../../api/queries';
import { EmptyView, QueryView } from '../StateViews';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';

/** The endpoint's delivery log, newest first; asked for only while it is open. */
export function WebhookDeliveries({ endpointId, tz }: { endpointId: string; tz: string }) {
  const deliveries = useWebhookDeliveries(endpointId, true);
  const redeliver = useRedeliver();
  return (
    <QueryView
      query={deliveries}
      loadingLabel="Loading deliveries…"
      isEmpty={(d) => d.deliveries.length === 0}
      empty={<EmptyView title="No deliveries to this endpoint yet." />}
    >
      {(d) => (
        <>
          {redeliver.error ? (
            <p className="field-error small" role="alert">
              Redelivery failed: {redeliver.error.message}
            </p>
          ) : null}
          <table className="table compact" data-testid="webhook-deliveries">
          <thead>
            <tr>
              <th className="num">Id</th>
              <th>Created ({tz})</th>
              <th>Status</th>
              <th className="num">Attempts</th>
              <th>Delivered</th>
              <th className="num">History entry</th>
              <th>Error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {d.deliveries.map((x) => (
              <tr key={x.id} data-testid="webhook-delivery-row">
                <td className="num">{x.id}</td>
                <td className="nowrap">
                  <Time value={x.created_at} tz={tz} />
                </td>
                <td>
                  <StatusBadge value={x.status} testId="webhook-delivery-status" />
                </td>
                <td className="num">{x.attempts}</td>
                <td className="nowrap">
                  <Time value={x.delivered_at} tz={tz} />
                </td>
                <td className="num">{x.alert_history_id}</td>
                <td className="preview" title={x.error ?? undefined}>
                  {x.error ?? <span className="muted">—</span>}
                </td>
                <td>
                  <button
                    type="button"
                    className="small"
                    data-testid="webhook-redeliver"
                    disabled={redeliver.isPending}
                    onClick={() => redeliver.mutate(x.id)}
                  >
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
          </table>
        </>
      )}
    </QueryView>
  );
}
