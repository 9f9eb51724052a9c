import { Link } from 'react-router-dom';
import { useWebhooks } from '../../api/queries';
import type { WebhookEndpoint } from '../../api/types';
import { InlineError } from '../InlineError';

function ChannelBox({ id, checked, onToggle, label, note }: { id: string; checked: boolean; onToggle: (id: string) => void; label: string; note?: string }) {
  return (
    <label className="checkbox">
      <input type="checkbox" checked={checked} onChange={() => onToggle(id)} data-testid="rule-channel" data-id={id} />
      <code>{label}</code>
      {note && <span className="muted small">{note}</span>}
    </label>
  );
}

/**
 * The webhook endpoints to notify: every endpoint that is not disabled. A channel the rule names that is
 * no longer usable stays listed (ticked) so that it can be removed; the API refuses to save it.
 */
export function ChannelPicker({ value, onChange }: { value: string[]; onChange: (next: string[]) => void }) {
  const webhooks = useWebhooks();
  const toggle = (id: string) => onChange(value.includes(id) ? value.filter((v) => v !== id) : [...value, id]);
  const all = webhooks.data?.endpoints ?? [];
  const usable = all.filter((e) => e.status !== 'disabled');
  const byId = new Map<string, WebhookEndpoint>(all.map((e) => [e.id, e]));
  const stale = webhooks.data ? value.filter((id) => !usable.some((e) => e.id === id)) : [];

  if (webhooks.isError && !webhooks.data) return <InlineError error={webhooks.error} action="Loading webhook endpoints" />;
  if (!webhooks.data) return <p className="muted small">Loading webhook endpoints…</p>;
  return (
    <div className="channels" data-testid="rule-channels">
      {usable.length === 0 && (
        <p className="muted small" data-testid="rule-channels-empty">
          No webhook endpoints yet: <Link to="/settings">register one in Settings</Link>. Without channels the rule still changes state, but notifies no one.
        </p>
      )}
      {usable.map((e) => (
        <ChannelBox key={e.id} id={e.id} checked={value.includes(e.id)} onToggle={toggle} label={e.url} note={[e.description, e.status === 'pending' ? 'awaiting confirmation' : ''].filter(Boolean).join(' · ')} />
      ))}
      {stale.map((id) => (
        <ChannelBox key={id} id={id} checked onToggle={toggle} label={byId.get(id)?.url ?? id} note={byId.has(id) ? 'disabled: untick it to save' : 'unknown endpoint: untick it to save'} />
      ))}
    </div>
  );
}
