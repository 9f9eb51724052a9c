import { useState, type FormEvent } from 'react';
import { useCreateKey } from '../../api/queries';
import type { CreateKeyResponse, Scope } from '../../api/types';
import { ErrorView } from '../StateViews';

const SCOPES: { value: Scope; help: string }[] = [
  { value: 'ingest', help: 'send events' },
  { value: 'read', help: 'dashboard and read API' },
  { value: 'admin', help: 'keys, catalog edits, replays (implies read)' },
];

export function CreateKeyForm({ onCreated }: { onCreated: (created: CreateKeyResponse) => void }) {
  const create = useCreateKey();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['ingest']);
  const [project, setProject] = useState('');
  const ready = name.trim() !== '' && scopes.length > 0;

  const toggle = (scope: Scope) => setScopes((s) => (s.includes(scope) ? s.filter((x) => x !== scope) : [...s, scope]));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    const body = { name: name.trim(), scopes, ...(project.trim() ? { project: project.trim() } : {}) };
    create.mutate(body, {
      onSuccess: (created) => {
        setName('');
        onCreated(created);
      },
    });
  };

  return (
    <form className="card form" onSubmit={submit} data-testid="key-create">
      <h2>Create a key</h2>
      <div className="filter-row">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. web SDK" data-testid="key-create-name" />
        </label>
        <label>
          Project slug (optional)
          <input value={project} onChange={(e) => setProject(e.target.value)} placeholder="this key's project" data-testid="key-create-project" />
        </label>
      </div>
      <fieldset className="scopes">
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s.value} className="checkbox">
            <input type="checkbox" checked={scopes.includes(s.value)} onChange={() => toggle(s.value)} data-testid={`key-scope-${s.value}`} />
            {s.value} <span className="muted small">({s.help})</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={!ready || create.isPending} data-testid="key-create-submit">
        {create.isPending ? 'Creating…' : 'Create key'}
      </button>
      {create.isError && <ErrorView error={create.error} title="The key was not created" />}
    </form>
  );
}
