import type { ApiError } from '../api/client';

// The query cache sees every failed call but lives outside React; the auth provider listens here.
type Listener = (error: ApiError) => void;
const listeners = new Set<Listener>();

export function onAuthFailure(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function reportAuthFailure(error: ApiError): void {
  for (const listener of listeners) listener(error);
}
