import { useMemo, useState } from 'react';
import { useKeys, useSession } from '../api/queries';
import type { CreateKeyResponse } from '../api/types';
import { CreateKeyForm } from '../components/keys/CreateKeyForm';
import { KeysTable } from '../components/keys/KeysTable';
import { SecretReveal } from '../components/keys/SecretReveal';
import { EmptyView, QueryView } from '../components/StateViews';
import { WebhooksSection } from '../components/webhooks/WebhooksSection';
import { browserTimeZone } from '../lib/time';

export function SettingsPage() {
  const tz = useMemo(browserTimeZone, []);
  const session = useSession();
  const keys = useKeys();
  // Held in memory only, until dismissed or the page is left: the secret is never stored.
  const [created, setCreated] = useState<CreateKeyResponse | null>(null);
  const isAdmin = session.data ? session.data.key.scopes.includes('admin') : undefined;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <h2>API keys</h2>
      {isAdmin === false ? (
        <p className="notice" data-testid="settings-not-admin">
          Managing keys needs an admin key; you are signed in with a key whose scopes are {session.data?.key.scopes.join(', ')}.
        </p>
      ) : created ? (
        <SecretReveal created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKeyForm onCreated={setCreated} />
      )}
      <section className="card">
        <h2>Keys</h2>
        <QueryView query={keys} isEmpty={(d) => d.keys.length === 0} empty={<EmptyView title="No keys yet." />}>
          {(d) => <KeysTable keys={d.keys} tz={tz} ownKeyId={session.data?.key.id} />}
        </QueryView>
      </section>
      <WebhooksSection tz={tz} isAdmin={isAdmin} />
    </div>
  );
}
