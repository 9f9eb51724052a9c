// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DETAILS, ENDPOINTS, EP_ACTIVE, HISTORY, R1, R2, SUMMARY } from '../test/alertFixtures';
import { apiError, renderApp, sessionWith, stubApi, type Call, type Handler } from '../test/api';

const admin: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read', 'admin']) } : undefined);
const reader: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read']) } : undefined);

const rules: Handler = (c) => {
  if (c.method === 'GET' && c.path === '/v1/alerts') return { status: 200, body: { rules: SUMMARY } };
  const m = /^\/v1\/alerts\/([^/]+)$/.exec(c.path);
  const detail = m ? DETAILS[m[1] ?? ''] : undefined;
  if (!m) return undefined;
  if (!detail) return apiError(404, 'rule_not_found', 'no such rule', 'rule_id');
  if (c.method === 'GET') return { status: 200, body: detail };
  if (c.method === 'PATCH' || c.method === 'PUT') return { status: 200, body: { ...detail, ...(c.body as object) } };
  if (c.method === 'DELETE') return { status: 204 };
  return undefined;
};
const catalog: Handler = (c) => (c.path === '/v1/catalog' ? { status: 200, body: { event_types: [] } } : undefined);
const webhooks: Handler = (c) => (c.method === 'GET' && c.path === '/v1/webhooks' ? { status: 200, body: { endpoints: ENDPOINTS } } : undefined);

const sent = (calls: Call[], method: string, path: string) => calls.filter((c) => c.method === method && c.path === path);
const row = async (name: string) => {
  const rows = await screen.findAllByTestId('alerts-row');
  const found = rows.find((r) => r.dataset.name === name);
  if (!found) throw new Error(`no row ${name}`);
  return found;
};

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('alerts list', () => {
  it('shows each rule with its state, severity and condition summary, from the list alone', async () => {
    const calls = stubApi(admin, rules);
    renderApp('/alerts');
    const spike = await row('Checkout spike');
    expect(within(spike).getByTestId('alert-state').textContent).toBe('FIRING');
    expect(within(spike).getByTestId('alert-state').className).toContain('badge-bad');
    expect(within(spike).getByTestId('alert-severity').textContent).toBe('critical');
    expect(within(spike).getByTestId('alert-condition').textContent).toBe('count > 100 over 5 min');
    const signups = await row('Signups stopped');
    expect(within(signups).getByTestId('alert-condition').textContent).toBe('absence over 1 h');
    expect(within(signups).getByTestId('alert-silenced-until')).toBeTruthy();
    // The list carries each whole rule: no row reads its rule one by one
    expect(calls.filter((c) => c.path.startsWith('/v1/alerts/'))).toEqual([]);
  });

  it('filters by state from the URL', async () => {
    stubApi(admin, rules);
    renderApp('/alerts?state=FIRING');
    await row('Checkout spike');
    expect(screen.getAllByTestId('alerts-row')).toHaveLength(1);
  });

  it('toggles enabled, silences, ends a silence and deletes after a confirm', async () => {
    const calls = stubApi(admin, rules);
    renderApp('/alerts');
    const spike = await row('Checkout spike');
    fireEvent.click(within(spike).getByTestId('alert-enabled'));
    await waitFor(() => expect(sent(calls, 'PATCH', `/v1/alerts/${R1}`).map((c) => c.body)).toEqual([{ enabled: false }]));

    fireEvent.click(await within(spike).findByTestId('alert-silence-1h'));
    await waitFor(() => expect(sent(calls, 'PATCH', `/v1/alerts/${R1}`)).toHaveLength(2));
    const until = (sent(calls, 'PATCH', `/v1/alerts/${R1}`)[1]?.body as { silenced_until: string }).silenced_until;
    expect(Math.abs(Date.parse(until) - Date.now() - 3_600_000)).toBeLessThan(5_000);

    const signups = await row('Signups stopped');
    fireEvent.click(await within(signups).findByTestId('alert-silence-end'));
    await waitFor(() => expect(sent(calls, 'PATCH', `/v1/alerts/${R2}`).map((c) => c.body)).toEqual([{ silenced_until: null }]));

    fireEvent.click(within(signups).getByTestId('alert-delete'));
    expect(sent(calls, 'DELETE', `/v1/alerts/${R2}`)).toHaveLength(0);
    fireEvent.click(within(signups).getByTestId('alert-delete-confirm'));
    await waitFor(() => expect(sent(calls, 'DELETE', `/v1/alerts/${R2}`)).toHaveLength(1));
  });

  it('is read-only for a read key', async () => {
    stubApi(reader, rules);
    renderApp('/alerts');
    const spike = await row('Checkout spike');
    expect(await screen.findByTestId('alerts-read-only')).toBeTruthy();
    expect((within(spike).getByTestId('alert-enabled') as HTMLInputElement).disabled).toBe(true);
    expect(within(spike).queryByTestId('alert-delete')).toBeNull();
    expect(screen.queryByTestId('alerts-new')).toBeNull();
  });

  it('shows the API error when the list fails', async () => {
    stubApi(admin, (c) => (c.path === '/v1/alerts' ? apiError(400, 'bad_thing', 'Nope.') : undefined));
    renderApp('/alerts');
    expect((await screen.findByTestId('error-code')).textContent).toBe('bad_thing');
  });
});

describe('rule form', () => {
  const fill = async () => {
    fireEvent.change(await screen.findByTestId('rule-name'), { target: { value: 'Spike' } });
    fireEvent.change(screen.getByTestId('rule-event-type'), { target: { value: 'checkout' } });
  };

  it('creates a rule, sending the API body, and opens it', async () => {
    const calls = stubApi(admin, catalog, webhooks, rules, (c) =>
      c.method === 'POST' && c.path === '/v1/alerts' ? { status: 201, body: { ...DETAILS[R1], ...(c.body as object) } } : undefined,
    );
    renderApp('/alerts/new');
    await fill();
    fireEvent.change(screen.getByTestId('rule-window'), { target: { value: '900' } });
    fireEvent.change(screen.getByTestId('rule-threshold-value'), { target: { value: '250' } });
    fireEvent.change(screen.getByTestId('rule-repeat-unit'), { target: { value: 'hours' } });
    fireEvent.change(screen.getByTestId('rule-repeat-value'), { target: { value: '2' } });
    const channels = await screen.findAllByTestId('rule-channel');
    expect(channels.map((c) => c.dataset.id)).toEqual([EP_ACTIVE]);
    fireEvent.click(channels[0] as HTMLElement);
    fireEvent.click(screen.getByTestId('rule-form-submit'));

    await waitFor(() => expect(sent(calls, 'POST', '/v1/alerts')).toHaveLength(1));
    expect(sent(calls, 'POST', '/v1/alerts')[0]?.body).toEqual({
      name: 'Spike', description: '', event_type: 'checkout', metric: 'count', window_seconds: 900,
      condition: { kind: 'threshold', operator: 'above', value: 250 }, pending_evaluations: 1, repeat_interval_seconds: 7200,
      notify_on_resolve: true, silenced_until: null, severity: 'warning', enabled: true, channels: [EP_ACTIVE],
    });
    expect(await screen.findByTestId('alert-detail')).toBeTruthy();
  });

  it('puts the API 400 next to the field it names', async () => {
    stubApi(admin, catalog, webhooks, (c) =>
      c.method === 'POST' && c.path === '/v1/alerts' ? apiError(400, 'invalid_value', 'condition.value must be a number >= 0', 'condition.value') : undefined,
    );
    renderApp('/alerts/new');
    await fill();
    fireEvent.click(screen.getByTestId('rule-form-submit'));
    const error = await screen.findByTestId('rule-field-error');
    expect(error.dataset.field).toBe('condition.value');
    expect(error.textContent).toBe('condition.value must be a number >= 0');
    expect(screen.queryByTestId('state-error')).toBeNull();

    fireEvent.change(screen.getByTestId('rule-kind'), { target: { value: 'absence' } });
    expect(screen.queryByTestId('rule-field-error')).toBeNull();
  });

  it('checks the fields before sending, and shows other refusals in the error view', async () => {
    const calls = stubApi(admin, catalog, webhooks, (c) =>
      c.method === 'POST' && c.path === '/v1/alerts' ? apiError(503, 'store_unavailable', 'Try again.') : undefined,
    );
    renderApp('/alerts/new');
    fireEvent.click(await screen.findByTestId('rule-form-submit'));
    expect((await screen.findAllByTestId('rule-field-error')).map((e) => e.dataset.field)).toEqual(['name', 'event_type']);
    expect(sent(calls, 'POST', '/v1/alerts')).toHaveLength(0);

    await fill();
    fireEvent.click(screen.getByTestId('rule-form-submit'));
    expect((await screen.findByTestId('error-code')).textContent).toBe('store_unavailable');
  });

  it('edits a rule with a PUT that keeps what the form does not show', async () => {
    const calls = stubApi(admin, catalog, webhooks, rules);
    renderApp(`/alerts/${R2}/edit`);
    expect(((await screen.findByTestId('rule-name')) as HTMLInputElement).value).toBe('Signups stopped');
    expect((screen.getByTestId('rule-kind') as HTMLSelectElement).value).toBe('absence');
    fireEvent.click(screen.getByTestId('rule-form-submit'));
    await waitFor(() => expect(sent(calls, 'PUT', `/v1/alerts/${R2}`)).toHaveLength(1));
    expect(sent(calls, 'PUT', `/v1/alerts/${R2}`)[0]?.body).toMatchObject({ enabled: false, silenced_until: '2999-01-01T00:00:00Z', condition: { kind: 'absence' } });
  });
});

describe('rule detail', () => {
  it('shows the state and the history with deliveries, and pages on', async () => {
    const calls = stubApi(admin, webhooks, rules, (c) =>
      c.path === `/v1/alerts/${R1}/history` ? { status: 200, body: { history: c.query.get('cursor') ? [] : HISTORY, next_cursor: c.query.get('cursor') ? null : '8' } } : undefined,
    );
    renderApp(`/alerts/${R1}`);
    expect((await screen.findByTestId('alert-state')).textContent).toBe('FIRING');
    expect(screen.getByTestId('alert-detail-condition').textContent).toBe('count > 100 over 5 min');
    const rows = await screen.findAllByTestId('history-row');
    expect(rows.map((r) => within(r).getByTestId('history-transition').textContent)).toEqual(['repeat', 'PENDING → FIRING']);
    const second = rows[1] as HTMLElement;
    expect(within(second).getByTestId('history-expected').textContent).toBe('> 100');
    expect(within(second).getByTestId('history-notification').textContent).toBe('sent');
    expect(within(second).getByTestId('history-trace-id').textContent).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const deliveries = within(second).getAllByTestId('history-delivery');
    await waitFor(() => expect(deliveries[0]?.textContent).toContain('https://hooks.example.com/a'));
    expect(deliveries[1]?.textContent).toContain('HTTP 500 from receiver');

    fireEvent.click(screen.getByTestId('history-next'));
    await waitFor(() => expect(calls.some((c) => c.path.endsWith('/history') && c.query.get('cursor') === '8')).toBe(true));
  });

  it('says so when the rule does not exist', async () => {
    stubApi(admin, rules);
    renderApp('/alerts/99999999-9999-4999-8999-999999999999');
    expect((await screen.findByTestId('error-code')).textContent).toBe('rule_not_found');
  });
});
