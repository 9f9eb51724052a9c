import { useState } from 'react';
import { useLocation } from 'react-router-dom';

/**
 * The page's URL holds the whole query: copying it shares the chart. The link is also shown, selected,
 * for a browser that refuses the clipboard (plain http, a denied permission).
 */
export function CopyLink() {
  const location = useLocation();
  const url = `${window.location.origin}${location.pathname}${location.search}`;
  const [state, setState] = useState<'idle' | 'copied' | 'shown'>('idle');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setState('copied');
    } catch {
      setState('shown');
    }
  };

  return (
    <span className="copy-link">
      <button type="button" onClick={() => void copy()} data-testid="insight-copy-link">
        Copy link
      </button>
      {state === 'copied' && (
        <span className="ok-text small" role="status" data-testid="insight-link-copied">
          Copied
        </span>
      )}
      {state !== 'idle' && (
        <input readOnly className="link-box" value={url} aria-label="Link to this chart" onFocus={(e) => e.target.select()} autoFocus={state === 'shown'} data-testid="insight-link" />
      )}
    </span>
  );
}
