// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueryClient } from '../api/queryClient';
import { App } from '../App';
import { AuthProvider } from './AuthContext';

// uPlot reads matchMedia when it loads; jsdom has none. The pages under test draw no chart.
vi.hoisted(() => {
  if (!window.matchMedia) {
    window.matchMedia = ((media: string) => ({
      matches: false,
      media,
      onchange: null,
      addEventListener: () => {},
      removeEventListener: () => {},
      addListener: () => {},
      removeListener: () => {},
      dispatchEvent: () => false,
    })) as typeof window.matchMedia;
  }
});

const SESSION = {
  tenant: { id: 't', slug: 'demo', name: 'Demo Tenant' },
  project: { id: 'p', slug: 'default', name: 'Default' },
  key: { id: 'k', display_prefix: 'cs_AbCd1234', scopes: ['read'] },
};

type Route = (path: string) => { status: number; body: unknown };

function stubApi(route: Route) {
  const calls: { url: string; auth: string | null }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, auth: (init.headers as Record<string, string>).Authorization ?? null });
      const { status, body } = route(url.split('?')[0] ?? url);
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }),
  );
  return calls;
}

function renderAt(path: string) {
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

const error = (code: string, message: string) => ({ error: { code, message, field: null }, request_id: 'req-42', trace_id: 't' });

beforeEach(() => {
  sessionStorage.clear();
  localStorage.clear();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('signing in and out', () => {
  it('sends a visitor without a key to sign-in, then back where they were', async () => {
    const calls = stubApi((path) =>
      path === '/v1/session' ? { status: 200, body: SESSION } : path === '/v1/alerts' ? { status: 200, body: { rules: [] } } : { status: 404, body: error('not_found', 'no') },
    );
    renderAt('/alerts');
    fireEvent.change(await screen.findByTestId('signin-key'), { target: { value: '  cs_secret  ' } });
    fireEvent.click(screen.getByTestId('signin-submit'));

    expect(await screen.findByText('No alert rules yet')).toBeTruthy();
    expect(await screen.findByText('Demo Tenant')).toBeTruthy();
    expect(screen.getByTestId('session-key-prefix').textContent).toContain('cs_AbCd1234');
    expect(sessionStorage.getItem('customersignal.apiKey')).toBe('cs_secret');
    expect(localStorage.length).toBe(0);
    expect(calls.every((c) => c.auth === 'Bearer cs_secret' && !c.url.includes('cs_secret'))).toBe(true);
  });

  it('shows why a key is refused at sign-in', async () => {
    stubApi(() => ({ status: 401, body: error('unknown_key', 'This key does not exist.') }));
    renderAt('/sign-in');
    fireEvent.change(screen.getByTestId('signin-key'), { target: { value: 'cs_bad' } });
    fireEvent.click(screen.getByTestId('signin-submit'));
    expect((await screen.findByTestId('error-code')).textContent).toBe('unknown_key');
    expect(screen.getByTestId('error-request-id').textContent).toBe('req-42');
    expect(sessionStorage.getItem('customersignal.apiKey')).toBeNull();
  });

  it('signs out with a message when a call answers 401', async () => {
    sessionStorage.setItem('customersignal.apiKey', 'cs_old');
    stubApi((path) => (path === '/v1/session' ? { status: 200, body: SESSION } : { status: 401, body: error('unknown_key', 'Key not found.') }));
    renderAt('/alerts');
    expect((await screen.findByTestId('signin-notice')).textContent).toMatch(/signed out: Key not found\. \(unknown_key, request req-42\)/);
    expect(sessionStorage.getItem('customersignal.apiKey')).toBeNull();
  });

  it('keeps the session on a missing scope and shows the 403 in place', async () => {
    sessionStorage.setItem('customersignal.apiKey', 'cs_read');
    stubApi((path) => (path === '/v1/session' ? { status: 200, body: SESSION } : { status: 403, body: error('missing_scope', 'This route needs the admin scope.') }));
    renderAt('/settings');
    expect((await screen.findByTestId('error-code')).textContent).toBe('missing_scope');
    expect(await screen.findByTestId('settings-not-admin')).toBeTruthy();
    expect(sessionStorage.getItem('customersignal.apiKey')).toBe('cs_read');
  });
});
