import { useState } from 'react';
import { useWebhooks } from '../../api/queries';
import type { CreateWebhookResponse, WebhookEndpoint } from '../../api/types';
import { SecretPanel } from '../SecretPanel';
import { EmptyView, QueryView } from '../StateViews';
import { CreateWebhookForm } from './CreateWebhookForm';
import { WebhookRow } from './WebhookRow';

function WebhooksTable({ endpoints, tz }: { endpoints: WebhookEndpoint[]; tz: string }) {
  return (
    <div className="table-scroll">
      <table className="table" data-testid="webhooks-table">
        <thead>
          <tr>
            <th>URL</th>
            <th>Status</th>
            <th>Created ({tz})</th>
            <th>Log</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {endpoints.map((e) => (
            <WebhookRow key={e.id} endpoint={e} tz={tz} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where alerts are sent: admin only, so a read key gets a notice instead of a 403. */
export function WebhooksSection({ tz, isAdmin }: { tz: string; isAdmin: boolean | undefined }) {
  const webhooks = useWebhooks(isAdmin === true);
  // Held in memory only, until dismissed or the page is left: the secret is never stored.
  const [created, setCreated] = useState<CreateWebhookResponse | null>(null);

  return (
    <section className="page" data-testid="webhooks-section">
      <h2>Webhook endpoints</h2>
      {isAdmin === false ? (
        <p className="notice" data-testid="webhooks-not-admin">
          Webhook endpoints are managed with an admin key.
        </p>
      ) : (
        <>
          {created ? (
            <SecretPanel
              title={`Endpoint ${created.endpoint.url} registered`}
              secret={created.secret}
              note="Copy the signing secret now and give it to your receiver: it is shown only this once. Receivers check each request's signature with it."
              testIdPrefix="webhook-secret"
              onDone={() => setCreated(null)}
            />
          ) : (
            <CreateWebhookForm onCreated={setCreated} />
          )}
          <section className="card">
            <h2>Endpoints</h2>
            <QueryView
              query={webhooks}
              loadingLabel="Loading webhook endpoints…"
              isEmpty={(d) => d.endpoints.length === 0}
              empty={<EmptyView title="No webhook endpoints yet." />}
            >
              {(d) => <WebhooksTable endpoints={d.endpoints} tz={tz} />}
            </QueryView>
          </section>
        </>
      )}
    </section>
  );
}
