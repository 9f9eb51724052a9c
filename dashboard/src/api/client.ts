import type { ApiErrorBody } from './types';

/** Every failed call, with the API's error body when there is one (status 0: no answer at all). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly requestId: string | null;
  readonly traceId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    field?: string | null;
    requestId?: string | null;
    traceId?: string | null;
    retryAfterSeconds?: number | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.field = init.field ?? null;
    this.requestId = init.requestId ?? null;
    this.traceId = init.traceId ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** The key itself is no good (unknown, missing or revoked), as opposed to lacking a scope for one route. */
  get isAuthFailure(): boolean {
    return this.status === 401 || (this.status === 403 && this.code !== 'missing_scope');
  }
}

/** A parameter sent once per value (`filter=a&filter=b`), where a plain array is comma-separated. */
export interface Repeated {
  readonly repeated: readonly string[];
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[] | Repeated;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Empty values are left out so that the API applies its own defaults. Arrays are comma-separated. */
export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(name, value.join(','));
    } else if (typeof value === 'object') {
      for (const one of (value as Repeated).repeated) params.append(name, one);
    } else {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('Retry-After'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy or gateway page: keep the status, say what we know.
  }
  if (isErrorBody(body)) {
    return new ApiError({
      status: response.status,
      code: body.error.code,
      message: body.error.message,
      field: body.error.field ?? null,
      requestId: body.request_id ?? response.headers.get('X-Request-Id'),
      traceId: body.trace_id ?? null,
      retryAfterSeconds,
    });
  }
  return new ApiError({
    status: response.status,
    code: `http_${response.status}`,
    message: response.statusText || `The server answered ${response.status}`,
    requestId: response.headers.get('X-Request-Id'),
    retryAfterSeconds,
  });
}

/** Calls the API on the same origin with the key as a Bearer token; resolves to the parsed JSON body. */
export async function apiRequest<T>(key: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path + buildQuery(options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
      // The key must never end up in a cache: every answer is tenant data.
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError({
      status: 0,
      code: 'network_error',
      message: 'The API could not be reached. Check your connection; the page retries on its own.',
    });
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
