import { useRef, useState } from 'react';

/**
 * The only time a secret exists outside the API's store: say so, and make copying easy. The parent
 * holds the secret in memory only, until "done" or until the page is left.
 */
export function SecretPanel({ title, secret, note, testIdPrefix, onDone }: {
  title: string;
  secret: string;
  note: string;
  /** "key-secret" gives key-secret-panel, key-secret, key-secret-copy, key-secret-done. */
  testIdPrefix: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const secretRef = useRef<HTMLElement>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      // No clipboard permission (plain http, old browser): select the text for Ctrl+C instead.
      const node = secretRef.current;
      if (node) window.getSelection()?.selectAllChildren(node);
      setCopied('failed');
    }
  };

  return (
    <div className="card secret" role="alert" data-testid={`${testIdPrefix}-panel`}>
      <h2>{title}</h2>
      <p>{note}</p>
      <div className="secret-row">
        <code ref={secretRef} data-testid={testIdPrefix}>
          {secret}
        </code>
        <button type="button" onClick={() => void copy()} data-testid={`${testIdPrefix}-copy`}>
          Copy
        </button>
      </div>
      {copied === 'yes' && <p className="ok-text">Copied to the clipboard.</p>}
      {copied === 'failed' && <p className="muted">The clipboard is not available here; the secret is selected, press Ctrl+C.</p>}
      <button type="button" className="secondary" onClick={onDone} data-testid={`${testIdPrefix}-done`}>
        I have stored it
      </button>
    </div>
  );
}
