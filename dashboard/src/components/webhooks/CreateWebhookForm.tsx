import { useState, type FormEvent } from 'react';
import { useCreateWebhook } from '../../api/queries';
import type { CreateWebhookResponse } from '../../api/types';
import { placeError, webhookPathOf } from '../../lib/alertsErrors';
import { ErrorView } from '../StateViews';

const MAX_DESCRIPTION = 500;

export function CreateWebhookForm({ onCreated }: { onCreated: (created: CreateWebhookResponse) => void }) {
  const create = useCreateWebhook();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const ready = url.trim() !== '';
  const placed = create.isError ? placeError(create.error, webhookPathOf) : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    create.mutate(
      { url: url.trim(), description: description.trim() },
      {
        onSuccess: (created) => {
          setUrl('');
          setDescription('');
          onCreated(created);
        },
      },
    );
  };

  const fieldError = (path: 'url' | 'description') =>
    placed?.path === path && (
      <p className="field-error" role="alert" data-testid="webhook-field-error" data-field={path}>
        {placed.message}
      </p>
    );

  return (
    <form className="card form" onSubmit={submit} data-testid="webhook-create">
      <h2>Register a webhook endpoint</h2>
      <p className="muted small">
        Alerts are POSTed to this URL, signed with a secret shown once. It must be https and resolve to public addresses.
      </p>
      <label className="field">
        URL
        <input
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://hooks.example.com/customersignal"
          aria-invalid={placed?.path === 'url'}
          data-testid="webhook-create-url"
        />
        {fieldError('url')}
      </label>
      <label className="field">
        Description (optional)
        <input
          value={description}
          maxLength={MAX_DESCRIPTION}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="e.g. on-call pager"
          data-testid="webhook-create-description"
        />
        {fieldError('description')}
      </label>
      <button type="submit" disabled={!ready || create.isPending} data-testid="webhook-create-submit">
        {create.isPending ? 'Registering…' : 'Register endpoint'}
      </button>
      {create.isError && !placed && <ErrorView error={create.error} title="The endpoint was not registered" />}
    </form>
  );
}
