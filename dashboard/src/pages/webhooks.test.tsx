// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebhookEndpoint } from '../api/types';
import { ENDPOINTS, EP_ACTIVE } from '../test/alertFixtures';
import { apiError, renderApp, sessionWith, stubApi, type Handler } from '../test/api';

const session = (scopes: string[]): Handler => (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(scopes) } : undefined);
const keys: Handler = (c) => (c.path === '/v1/keys' ? { status: 200, body: { keys: [] } } : undefined);

function webhookApi(): Handler {
  let endpoints: WebhookEndpoint[] = [...ENDPOINTS];
  return (c) => {
    if (c.path === '/v1/webhooks' && c.method === 'GET') return { status: 200, body: { endpoints } };
    if (c.path === '/v1/webhooks' && c.method === 'POST') {
      const { url, description } = c.body as { url: string; description: string };
      if (!url.startsWith('https://')) return apiError(400, 'webhook_url_not_https', 'the URL must be https', 'url');
      const endpoint: WebhookEndpoint = { id: 'new-id', url, description, status: 'pending', subscription_arn: null, created_at: '2026-11-27T13:00:00Z', disabled_at: null };
      endpoints = [endpoint, ...endpoints];
      return { status: 201, body: { endpoint, secret: 'whsec_s3cr3t' } };
    }
    if (c.path === `/v1/webhooks/${EP_ACTIVE}` && c.method === 'DELETE') {
      endpoints = endpoints.map((e) => (e.id === EP_ACTIVE ? { ...e, status: 'disabled', disabled_at: '2026-11-27T13:00:00Z' } : e));
      return { status: 200, body: endpoints.find((e) => e.id === EP_ACTIVE) };
    }
    if (c.path === `/v1/webhooks/${EP_ACTIVE}/deliveries`) {
      return {
        status: 200,
        body: { deliveries: [{ id: 5, endpoint_id: EP_ACTIVE, alert_history_id: 8, status: 'failed', attempts: 3, error: 'timeout', created_at: '2026-11-27T13:00:00Z', delivered_at: null }] },
      };
    }
    return undefined;
  };
}

const webhookRow = async (url: string) => {
  await waitFor(() => expect(screen.getAllByTestId('webhook-row').some((r) => r.dataset.url === url)).toBe(true));
  return screen.getAllByTestId('webhook-row').find((r) => r.dataset.url === url) as HTMLElement;
};

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('webhook endpoints in settings', () => {
  it('registers an endpoint and shows its secret once', async () => {
    const calls = stubApi(session(['read', 'admin']), keys, webhookApi());
    renderApp('/settings');
    await webhookRow('https://hooks.example.com/a');
    fireEvent.change(screen.getByTestId('webhook-create-url'), { target: { value: ' https://hooks.example.com/new ' } });
    fireEvent.change(screen.getByTestId('webhook-create-description'), { target: { value: 'ops' } });
    fireEvent.click(screen.getByTestId('webhook-create-submit'));
    expect((await screen.findByTestId('webhook-secret')).textContent).toBe('whsec_s3cr3t');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ url: 'https://hooks.example.com/new', description: 'ops' });
    const added = await webhookRow('https://hooks.example.com/new');
    expect(within(added).getByTestId('webhook-status').textContent).toBe('pending');
    fireEvent.click(screen.getByTestId('webhook-secret-done'));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
  });

  it('puts a refused URL under the URL field', async () => {
    stubApi(session(['admin']), keys, webhookApi());
    renderApp('/settings');
    fireEvent.change(await screen.findByTestId('webhook-create-url'), { target: { value: 'http://example.com' } });
    fireEvent.click(screen.getByTestId('webhook-create-submit'));
    const error = await screen.findByTestId('webhook-field-error');
    expect(error.dataset.field).toBe('url');
    expect(error.textContent).toBe('the URL must be https');
  });

  it('disables after a confirm and opens the delivery log', async () => {
    const calls = stubApi(session(['admin']), keys, webhookApi());
    renderApp('/settings');
    const row = await webhookRow('https://hooks.example.com/a');
    fireEvent.click(within(row).getByTestId('webhook-deliveries-toggle'));
    expect((await screen.findAllByTestId('webhook-delivery-row'))[0]?.textContent).toContain('timeout');

    fireEvent.click(within(row).getByTestId('webhook-disable'));
    fireEvent.click(within(row).getByTestId('webhook-disable-confirm'));
    await waitFor(() => expect(within(row).getByTestId('webhook-status').textContent).toBe('disabled'));
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([`/v1/webhooks/${EP_ACTIVE}`]);
    expect(within(row).queryByTestId('webhook-disable')).toBeNull();
  });

  it('does not ask for endpoints with a read key', async () => {
    const calls = stubApi(session(['read']), (c) => (c.path === '/v1/keys' ? apiError(403, 'missing_scope', 'needs admin') : undefined), webhookApi());
    renderApp('/settings');
    expect(await screen.findByTestId('webhooks-not-admin')).toBeTruthy();
    expect(calls.some((c) => c.path === '/v1/webhooks')).toBe(false);
  });
});
