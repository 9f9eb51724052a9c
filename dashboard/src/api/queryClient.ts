import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { reportAuthFailure } from '../auth/authFailures';
import { ApiError } from './client';

function handleError(error: unknown): void {
  if (error instanceof ApiError && error.isAuthFailure) reportAuthFailure(error);
}

/** A 4xx will answer the same again; only "no answer" and 5xx are worth retrying. */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

function retryDelay(attempt: number, error: unknown): number {
  if (error instanceof ApiError && error.retryAfterSeconds !== null) return Math.min(30, error.retryAfterSeconds) * 1000;
  return Math.min(1000 * 2 ** attempt, 10_000);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: handleError }),
    mutationCache: new MutationCache({ onError: handleError }),
    defaultOptions: {
      queries: { retry: shouldRetry, retryDelay, staleTime: 2_000, refetchOnWindowFocus: true },
      mutations: { retry: false },
    },
  });
}
