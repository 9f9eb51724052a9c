import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiRequest, buildQuery, errorFromResponse } from './client';

afterEach(() => vi.unstubAllGlobals());

describe('buildQuery', () => {
  it('leaves out empty values and joins arrays', () => {
    expect(buildQuery({ types: ['a', 'b'], user_id: '', cursor: null, limit: 10, x: undefined, empty: [] })).toBe('?types=a%2Cb&limit=10');
    expect(buildQuery({})).toBe('');
    expect(buildQuery(undefined)).toBe('');
  });

  it('sends a repeated parameter once per value, in order, and not at all when empty', () => {
    const filters = ['{"property":"plan","op":"eq","value":"pro"}', '{"property":"n","op":"gt","value":1}'];
    const qs = new URLSearchParams(buildQuery({ type: 'checkout', filter: { repeated: filters } }).slice(1));
    expect(qs.getAll('filter')).toEqual(filters);
    expect(buildQuery({ filter: { repeated: [] } })).toBe('');
  });
});

describe('errorFromResponse', () => {
  it('parses the API error body', async () => {
    const body = { error: { code: 'invalid_interval', message: 'bad', field: 'interval' }, request_id: 'req-1', trace_id: 't-1' };
    const e = await errorFromResponse(new Response(JSON.stringify(body), { status: 400 }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'invalid_interval', message: 'bad', field: 'interval', requestId: 'req-1', traceId: 't-1' });
  });

  it('keeps Retry-After of a 503', async () => {
    const body = { error: { code: 'store_unavailable', message: 'x', field: null }, request_id: 'r', trace_id: 't' };
    const e = await errorFromResponse(new Response(JSON.stringify(body), { status: 503, headers: { 'Retry-After': '3' } }));
    expect(e.retryAfterSeconds).toBe(3);
  });

  it('copes with a body that is not the API shape', async () => {
    const e = await errorFromResponse(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(e).toMatchObject({ status: 502, code: 'http_502', message: 'Bad Gateway', requestId: null });
  });
});

describe('isAuthFailure', () => {
  it('signs out on 401 and revoked keys, not on a missing scope', () => {
    expect(new ApiError({ status: 401, code: 'unknown_key', message: '' }).isAuthFailure).toBe(true);
    expect(new ApiError({ status: 403, code: 'key_revoked', message: '' }).isAuthFailure).toBe(true);
    expect(new ApiError({ status: 403, code: 'missing_scope', message: '' }).isAuthFailure).toBe(false);
    expect(new ApiError({ status: 404, code: 'event_not_found', message: '' }).isAuthFailure).toBe(false);
  });
});

describe('apiRequest', () => {
  it('sends the key as a Bearer token and JSON bodies', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ ok: 1 }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    await expect(apiRequest('cs_k', '/v1/keys', { method: 'POST', body: { name: 'x' } })).resolves.toEqual({ ok: 1 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/keys');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer cs_k');
    expect(init.body).toBe('{"name":"x"}');
  });

  it('turns a network failure into a typed error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(apiRequest('k', '/v1/session')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});
