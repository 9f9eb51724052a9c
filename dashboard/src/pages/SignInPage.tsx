import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { apiRequest } from '../api/client';
import type { Session } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ErrorView } from '../components/StateViews';

function returnPath(state: unknown): string {
  const from = typeof state === 'object' && state !== null && 'from' in state ? (state as { from: unknown }).from : null;
  // Only a path inside the app: never an absolute URL handed in by someone else.
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/sign-in') ? from : '/';
}

export function SignInPage() {
  const { apiKey, notice, signIn } = useAuth();
  const queryClient = useQueryClient();
  const location = useLocation();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (apiKey && !busy) return <Navigate to={returnPath(location.state)} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) return;
    setBusy(true);
    setError(null);
    try {
      // Called directly, not through the query cache, so a wrong key is an answer here, not a sign-out.
      const session = await apiRequest<Session>(candidate, '/v1/session');
      signIn(candidate);
      queryClient.setQueryData(['session'], session);
      navigate(returnPath(location.state), { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <h1>CustomerSignal</h1>
      {/* method=post: if scripts fail, the browser must not put the key into a URL. */}
      <form method="post" onSubmit={submit} className="card signin-card" autoComplete="off">
        <label htmlFor="signin-key">API key (read or admin)</label>
        <input
          id="signin-key"
          type="password"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="cs_…"
          spellCheck={false}
          autoFocus
          data-testid="signin-key"
        />
        <p className="muted small">
          The key is kept in this tab only (session storage) and sent as a Bearer token to this server.
        </p>
        <button type="submit" disabled={busy || key.trim() === ''} data-testid="signin-submit">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {notice && !error && (
        <div className="notice" role="status" data-testid="signin-notice">
          {notice}
        </div>
      )}
      {error !== null && <ErrorView error={error} title="This key cannot sign in" />}
    </div>
  );
}
