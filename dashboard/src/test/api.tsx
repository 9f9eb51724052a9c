// Test support for page tests: a fetch stub that routes by method and path, and App rendered at a URL.
import './matchMedia';
import { render } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';
import { createQueryClient } from '../api/queryClient';
import { App } from '../App';
import { AuthProvider } from '../auth/AuthContext';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export type Answer = { status: number; body?: unknown };
export type Handler = (call: Call) => Answer | undefined;

export const apiError = (status: number, code: string, message: string, field: string | null = null): Answer => ({
  status,
  body: { error: { code, message, field }, request_id: 'req-1', trace_id: 'trace-1' },
});

export function sessionWith(scopes: string[]) {
  return {
    tenant: { id: 't', slug: 'demo', name: 'Demo' },
    project: { id: 'p', slug: 'default', name: 'Default' },
    key: { id: 'k', display_prefix: 'cs_AbCd1234', scopes },
  };
}

/** Every call is recorded; the first handler with an answer wins; anything unhandled is a 404. */
export function stubApi(...handlers: Handler[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      const parsed = new URL(url, 'http://localhost');
      const call: Call = {
        method: init.method ?? 'GET',
        path: parsed.pathname,
        query: parsed.searchParams,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      const answer = handlers.reduce<Answer | undefined>((found, h) => found ?? h(call), undefined) ?? apiError(404, 'not_found', `no ${call.method} ${call.path}`);
      if (answer.status === 204) return new Response(null, { status: 204 });
      return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return calls;
}

export function renderApp(path: string) {
  sessionStorage.setItem('customersignal.apiKey', 'cs_test');
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <AuthProvider>
          <App />
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
