import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { ApiError } from '../api/client';

export function LoadingView({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" data-testid="state-loading" role="status" aria-live="polite">
      {label}
    </div>
  );
}

export function EmptyView({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="state-empty">
      <p className="state-title">{title}</p>
      {children}
    </div>
  );
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError({ status: 0, code: 'client_error', message });
}

function hintFor(error: ApiError): string | null {
  if (error.code === 'missing_scope') {
    return 'Your key lacks the scope this needs (read to view, admin to change keys, the catalog or dead letters). Sign in with a key that has it.';
  }
  if (error.status === 503) return 'The data store is unavailable for a moment; this page asks again on its own.';
  return null;
}

/** The API's own words, plus the request id that support needs to find the call in the logs. */
export function ErrorView({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  const e = asApiError(error);
  const hint = hintFor(e);
  return (
    <div className="state state-error" data-testid="state-error" role="alert">
      <p className="state-title">{title}</p>
      <p>
        <code data-testid="error-code">{e.code}</code>
        {e.status > 0 && <span className="muted"> (HTTP {e.status})</span>}: <span data-testid="error-message">{e.message}</span>
      </p>
      {e.field && (
        <p className="muted">
          Field: <code>{e.field}</code>
        </p>
      )}
      {hint && <p>{hint}</p>}
      {e.requestId && (
        <p className="muted">
          Request id: <code data-testid="error-request-id">{e.requestId}</code>
        </p>
      )}
    </div>
  );
}

/** Shown above data that is still on screen when a background refetch failed. */
export function StaleBanner({ error }: { error: unknown }) {
  const e = asApiError(error);
  return (
    <div className="stale-banner" role="status" data-testid="stale-banner">
      Could not refresh ({e.code}: {e.message}
      {e.requestId ? `, request ${e.requestId}` : ''}); showing the last data received.
    </div>
  );
}

interface QueryViewProps<T> {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}

/**
 * One place for the four states of a query. Data already on screen is never replaced by a spinner
 * or an error: a failed refetch shows a banner above the last good data.
 */
export function QueryView<T>({ query, isEmpty, empty, loadingLabel, children }: QueryViewProps<T>) {
  if (query.data === undefined) {
    if (query.isError) return <ErrorView error={query.error} />;
    return <LoadingView label={loadingLabel} />;
  }
  return (
    <>
      {query.isError && <StaleBanner error={query.error} />}
      {isEmpty?.(query.data) ? (empty ?? <EmptyView title="Nothing here yet" />) : children(query.data)}
    </>
  );
}
