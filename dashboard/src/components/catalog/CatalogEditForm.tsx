import { useState, type FormEvent } from 'react';
import { usePatchCatalog, useSession } from '../../api/queries';
import type { CatalogDetail, CatalogStatus } from '../../api/types';
import { changedFields } from '../../lib/catalogPatch';
import { CATALOG_STATUSES } from '../../lib/listFilters';
import { formatClock } from '../../lib/time';
import { ErrorView } from '../StateViews';

const MAX_DESCRIPTION = 2000;
const MAX_OWNER = 200;

export function CatalogEditForm({ item, tz }: { item: CatalogDetail; tz: string }) {
  const session = useSession();
  const patch = usePatchCatalog(item.name);
  const [draft, setDraft] = useState({ description: item.description, owner: item.owner ?? '', status: item.status });
  const changes = changedFields(item, draft);
  const dirty = Object.keys(changes).length > 0;
  const isAdmin = session.data?.key.scopes.includes('admin') ?? true;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty) patch.mutate(changes);
  };

  return (
    <form className="card form" onSubmit={submit} data-testid="catalog-edit">
      <h2>Edit</h2>
      {!isAdmin && <p className="notice">Saving needs an admin key; this key has the scopes {session.data?.key.scopes.join(', ')}.</p>}
      <label>
        Description
        <textarea
          value={draft.description}
          maxLength={MAX_DESCRIPTION}
          rows={4}
          onChange={(e) => setDraft({ ...draft, description: e.target.value })}
          data-testid="catalog-edit-description"
        />
        <span className="muted small">
          {draft.description.length}/{MAX_DESCRIPTION}
        </span>
      </label>
      <label>
        Owner
        <input value={draft.owner} maxLength={MAX_OWNER} placeholder="team or person (empty: none)" onChange={(e) => setDraft({ ...draft, owner: e.target.value })} data-testid="catalog-edit-owner" />
      </label>
      <label>
        Status
        <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as CatalogStatus })} data-testid="catalog-edit-status">
          {CATALOG_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {draft.status === 'blocked' && item.status !== 'blocked' && (
        <p className="notice">Blocking sends this type's new events to the dead letters (reason blocked_event_type) instead of the metrics.</p>
      )}
      <div className="filter-actions">
        <button type="submit" disabled={!dirty || patch.isPending} data-testid="catalog-edit-save">
          {patch.isPending ? 'Saving…' : 'Save'}
        </button>
        {patch.isSuccess && !dirty && (
          <span className="ok-text" role="status" data-testid="catalog-edit-saved">
            Saved at {formatClock(patch.submittedAt, tz)}
          </span>
        )}
      </div>
      {patch.isError && <ErrorView error={patch.error} title="Not saved" />}
    </form>
  );
}
