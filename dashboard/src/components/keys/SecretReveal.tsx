import { useRef, useState } from 'react';
import type { CreateKeyResponse } from '../../api/types';

/** The only time the secret exists outside the API's hash: say so, and make copying easy. */
export function SecretReveal({ created, onDone }: { created: CreateKeyResponse; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const secretRef = useRef<HTMLElement>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('yes');
    } catch {
      // No clipboard permission (plain http, old browser): select the text for Ctrl+C instead.
      const node = secretRef.current;
      if (node) window.getSelection()?.selectAllChildren(node);
      setCopied('failed');
    }
  };

  return (
    <div className="card secret" role="alert" data-testid="key-secret-panel">
      <h2>Key “{created.key.name}” created</h2>
      <p>Copy the secret now: it is shown only this once and cannot be recovered.</p>
      <div className="secret-row">
        <code ref={secretRef} data-testid="key-secret">
          {created.secret}
        </code>
        <button type="button" onClick={() => void copy()} data-testid="key-secret-copy">
          Copy
        </button>
      </div>
      {copied === 'yes' && <p className="ok-text">Copied to the clipboard.</p>}
      {copied === 'failed' && <p className="muted">The clipboard is not available here; the secret is selected, press Ctrl+C.</p>}
      <button type="button" className="secondary" onClick={onDone} data-testid="key-secret-done">
        I have stored it
      </button>
    </div>
  );
}
