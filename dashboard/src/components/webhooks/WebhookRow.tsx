import { Fragment, useState } from 'react';
import { useDisableWebhook } from '../../api/queries';
import type { WebhookEndpoint } from '../../api/types';
import { ErrorView } from '../StateViews';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';
import { WebhookDeliveries } from './WebhookDeliveries';

const COLUMNS = 5;

const STATUS_HELP: Record<WebhookEndpoint['status'], string> = {
  pending: 'Waiting for the receiver to confirm the subscription',
  active: 'Receiving alerts',
  disabled: 'Unsubscribed: no longer receives alerts',
};

function DisableCell({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [confirming, setConfirming] = useState(false);
  const disable = useDisableWebhook();
  if (endpoint.status === 'disabled') return null;
  if (!confirming) {
    return (
      <button type="button" className="danger-outline" onClick={() => setConfirming(true)} data-testid="webhook-disable">
        Disable
      </button>
    );
  }
  return (
    <div className="confirm">
      <span className="small">Disable {endpoint.url}? It is unsubscribed and rules stop notifying it.</span>
      <button type="button" className="danger" disabled={disable.isPending} onClick={() => disable.mutate(endpoint.id)} data-testid="webhook-disable-confirm">
        {disable.isPending ? 'Disabling…' : 'Yes, disable'}
      </button>
      <button type="button" className="secondary" onClick={() => setConfirming(false)} data-testid="webhook-disable-cancel">
        Cancel
      </button>
      {disable.isError && <ErrorView error={disable.error} title="Not disabled" />}
    </div>
  );
}

export function WebhookRow({ endpoint, tz }: { endpoint: WebhookEndpoint; tz: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Fragment>
      <tr data-testid="webhook-row" data-id={endpoint.id} data-url={endpoint.url} className={endpoint.status === 'disabled' ? 'disabled-row' : undefined}>
        <td>
          <code data-testid="webhook-url">{endpoint.url}</code>
          {endpoint.description && <div className="muted small">{endpoint.description}</div>}
        </td>
        <td>
          <StatusBadge value={endpoint.status} testId="webhook-status" title={STATUS_HELP[endpoint.status]} />
          {endpoint.disabled_at && (
            <span className="muted small">
              {' '}
              <Time value={endpoint.disabled_at} tz={tz} />
            </span>
          )}
        </td>
        <td className="nowrap">
          <Time value={endpoint.created_at} tz={tz} />
        </td>
        <td>
          <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="webhook-deliveries-toggle">
            {open ? 'Hide deliveries' : 'Deliveries'}
          </button>
        </td>
        <td>
          <DisableCell endpoint={endpoint} />
        </td>
      </tr>
      {open && (
        <tr className="expanded">
          <td colSpan={COLUMNS}>
            <WebhookDeliveries endpointId={endpoint.id} tz={tz} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}
