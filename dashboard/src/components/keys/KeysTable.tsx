import { useState } from 'react';
import { useRevokeKey } from '../../api/queries';
import type { ApiKey } from '../../api/types';
import { ErrorView } from '../StateViews';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';

function RevokeCell({ k, isOwn }: { k: ApiKey; isOwn: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const revoke = useRevokeKey();
  if (k.status === 'revoked') return <span className="muted">—</span>;
  if (!confirming) {
    return (
      <button type="button" className="danger-outline" onClick={() => setConfirming(true)} data-testid="key-revoke">
        Revoke
      </button>
    );
  }
  return (
    <div className="confirm">
      <span className="small">
        {isOwn ? 'This is the key you are signed in with: you will be signed out. ' : ''}
        Revoke “{k.name}”? It stops working everywhere within 60 s.
      </span>
      <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(k.id)} data-testid="key-revoke-confirm">
        {revoke.isPending ? 'Revoking…' : 'Yes, revoke'}
      </button>
      <button type="button" className="secondary" onClick={() => setConfirming(false)} data-testid="key-revoke-cancel">
        Cancel
      </button>
      {revoke.isError && <ErrorView error={revoke.error} title="Not revoked" />}
    </div>
  );
}

export function KeysTable({ keys, tz, ownKeyId }: { keys: ApiKey[]; tz: string; ownKeyId: string | undefined }) {
  return (
    <div className="table-scroll">
      <table className="table" data-testid="keys-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Scopes</th>
            <th>Project</th>
            <th>Created ({tz})</th>
            <th>Last used</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid="keys-row" data-key-id={k.id} data-name={k.name}>
              <td data-testid="key-name">
                {k.name}
                {k.id === ownKeyId && <span className="badge badge-muted">this session</span>}
              </td>
              <td>
                <code data-testid="key-prefix">{k.display_prefix}</code>
              </td>
              <td>{k.scopes.join(', ')}</td>
              <td>{k.project.slug}</td>
              <td className="nowrap">
                <Time value={k.created_at} tz={tz} />
              </td>
              <td className="nowrap">{k.last_used_at ? <Time value={k.last_used_at} tz={tz} /> : <span className="muted">never</span>}</td>
              <td>
                <StatusBadge value={k.status} testId="key-status" />
                {k.revoked_at && (
                  <span className="muted small">
                    {' '}
                    <Time value={k.revoked_at} tz={tz} />
                  </span>
                )}
              </td>
              <td>
                <RevokeCell k={k} isOwn={k.id === ownKeyId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
