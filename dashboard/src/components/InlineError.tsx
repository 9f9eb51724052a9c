import { ApiError } from '../api/client';

/** A failed action in a table cell or a toolbar, where a full ErrorView would not fit. */
export function InlineError({ error, action }: { error: unknown; action: string }) {
  const e = error instanceof ApiError ? error : null;
  const message = e ? e.message : error instanceof Error ? error.message : String(error);
  return (
    <p className="field-error small" role="alert" data-testid="inline-error">
      {action} failed{e ? ` (${e.code})` : ''}: {message}
      {e?.requestId ? <span className="muted"> · request {e.requestId}</span> : null}
    </p>
  );
}
