// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuleDetail } from '../api/types';
import { listItemOf } from '../lib/alertsList';
import { DETAILS, R1 } from '../test/alertFixtures';
import { apiError, renderApp, sessionWith, stubApi, type Call, type Handler } from '../test/api';
import { catalog } from '../test/insightFixtures';

/** Issue 18, alerts on trends: the rule form, detail and list with a summed, filtered metric. */

const admin: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read', 'admin']) } : undefined);
const webhooks: Handler = (c) => (c.method === 'GET' && c.path === '/v1/webhooks' ? { status: 200, body: { endpoints: [] } } : undefined);

const SUMMED: RuleDetail = {
  ...(DETAILS[R1] as RuleDetail),
  name: 'Pro revenue',
  metric: 'sum',
  property: 'amount',
  filters: [{ property: 'plan', op: 'eq', value: 'pro' }],
  window_seconds: 3600,
  condition: { kind: 'threshold', operator: 'below', value: 500 },
  channels: [],
};

const rule: Handler = (c) => {
  if (c.method === 'GET' && c.path === '/v1/alerts') {
    return { status: 200, body: { rules: [listItemOf(SUMMED)] } };
  }
  if (c.path !== `/v1/alerts/${R1}`) return undefined;
  if (c.method === 'GET') return { status: 200, body: SUMMED };
  if (c.method === 'PUT') return { status: 200, body: { ...SUMMED, ...(c.body as object) } };
  return undefined;
};
const history: Handler = (c) => (c.path === `/v1/alerts/${R1}/history` ? { status: 200, body: { history: [], next_cursor: null } } : undefined);

const sent = (calls: Call[], method: string, path: string) => calls.filter((c) => c.method === method && c.path === path);
const options = (testId: string) => within(screen.getByTestId(testId)).getAllByRole('option').map((o) => (o as HTMLOptionElement).value);

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('rule form: metric, property and filters', () => {
  it('offers numeric properties only, asks for one, and sends the filters the editor makes', async () => {
    const calls = stubApi(admin, catalog, webhooks, (c) =>
      c.method === 'POST' && c.path === '/v1/alerts' ? { status: 201, body: { ...SUMMED, ...(c.body as object) } } : undefined,
    );
    renderApp('/alerts/new?event_type=checkout');
    fireEvent.change(await screen.findByTestId('rule-name'), { target: { value: 'Pro revenue' } });
    expect(screen.queryByTestId('rule-property')).toBeNull();
    fireEvent.change(screen.getByTestId('rule-metric'), { target: { value: 'sum' } });
    await waitFor(() => expect(options('rule-property')).toEqual(['', 'amount']));

    fireEvent.click(screen.getByTestId('rule-form-submit'));
    const missing = await screen.findByTestId('rule-field-error');
    expect([missing.dataset.field, missing.textContent]).toEqual(['property', 'Pick the numeric property to take the sum of.']);
    expect(sent(calls, 'POST', '/v1/alerts')).toHaveLength(0);
    // Back to a count, the property's message goes with its picker.
    fireEvent.change(screen.getByTestId('rule-metric'), { target: { value: 'count' } });
    expect(screen.queryByTestId('rule-field-error')).toBeNull();
    fireEvent.change(screen.getByTestId('rule-metric'), { target: { value: 'sum' } });

    fireEvent.change(screen.getByTestId('rule-property'), { target: { value: 'amount' } });
    fireEvent.click(screen.getByTestId('insight-filter-add'));
    fireEvent.change(screen.getByTestId('insight-filter-property'), { target: { value: 'plan' } });
    fireEvent.change(screen.getByTestId('insight-filter-value'), { target: { value: 'pro' } });
    expect(screen.getByTestId('rule-preview').textContent).toContain('sum of amount > 100 over 5 min, where plan equals "pro"');
    fireEvent.click(screen.getByTestId('rule-form-submit'));

    await waitFor(() => expect(sent(calls, 'POST', '/v1/alerts')).toHaveLength(1));
    expect(sent(calls, 'POST', '/v1/alerts')[0]?.body).toMatchObject({
      event_type: 'checkout',
      metric: 'sum',
      property: 'amount',
      filters: [{ property: 'plan', op: 'eq', value: 'pro' }],
    });
  });

  it('puts a 422 about a filter next to the filters and marks the row it names', async () => {
    // Ahead of `rule`, whose PUT would succeed.
    const refuse: Handler = (c) =>
      c.method === 'PUT' ? apiError(422, 'invalid_filter', 'filters[0].value: eq on plan takes a string', 'filters[0].value') : undefined;
    stubApi(admin, catalog, webhooks, refuse, rule);
    renderApp(`/alerts/${R1}/edit`);
    await screen.findByTestId('rule-name');
    fireEvent.click(screen.getByTestId('rule-form-submit'));
    const error = await screen.findByTestId('rule-field-error');
    expect([error.dataset.field, error.textContent]).toEqual(['filters', 'filters[0].value: eq on plan takes a string']);
    expect(screen.getByTestId('insight-filter').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByTestId('state-error')).toBeNull();
  });

  it('edits a summed, filtered rule with a PUT that keeps its metric, property and filters', async () => {
    const calls = stubApi(admin, catalog, webhooks, rule);
    renderApp(`/alerts/${R1}/edit`);
    await screen.findByTestId('rule-name');
    expect((screen.getByTestId('rule-metric') as HTMLSelectElement).value).toBe('sum');
    await waitFor(() => expect((screen.getByTestId('rule-property') as HTMLSelectElement).value).toBe('amount'));
    expect((screen.getByTestId('insight-filter-value') as HTMLInputElement).value).toBe('pro');
    fireEvent.change(screen.getByTestId('rule-threshold-value'), { target: { value: '750' } });
    fireEvent.click(screen.getByTestId('rule-form-submit'));
    await waitFor(() => expect(sent(calls, 'PUT', `/v1/alerts/${R1}`)).toHaveLength(1));
    expect(sent(calls, 'PUT', `/v1/alerts/${R1}`)[0]?.body).toMatchObject({
      metric: 'sum',
      property: 'amount',
      filters: [{ property: 'plan', op: 'eq', value: 'pro' }],
      condition: { kind: 'threshold', operator: 'below', value: 750 },
    });
  });
});

describe('the measure in words', () => {
  it('shows it on the rule page, with a chart link to the insight builder', async () => {
    stubApi(admin, webhooks, rule, history);
    renderApp(`/alerts/${R1}`);
    expect((await screen.findByTestId('alert-detail-metric')).textContent).toBe('sum of amount where plan equals "pro"');
    expect(screen.getByTestId('alert-detail-condition').textContent).toBe('sum of amount < 500 over 1 h, where plan equals "pro"');
    const link = within(screen.getByTestId('alert-detail-facts')).getByRole('link', { name: 'checkout' }).getAttribute('href') ?? '';
    const params = new URLSearchParams(link.split('?')[1]);
    expect([params.get('view'), params.get('measure'), params.get('property'), params.getAll('filter')]).toEqual([
      'insight',
      'sum',
      'amount',
      ['{"property":"plan","op":"eq","value":"pro"}'],
    ]);
    expect(screen.getByTestId('rule-chart-unavailable').textContent).toContain('sum of amount where plan equals "pro" is not drawn here');
  });

  it('shows it in the alerts list from the list alone, reading no rule', async () => {
    const calls = stubApi(admin, rule);
    renderApp('/alerts');
    const row = await screen.findByTestId('alerts-row');
    expect(within(row).getByTestId('alert-metric').textContent).toBe('sum of amount where plan equals "pro"');
    expect(within(row).getByTestId('alert-condition').textContent).toBe('sum of amount < 500 over 1 h, where plan equals "pro"');
    expect(calls.filter((c) => c.path.startsWith('/v1/alerts/'))).toEqual([]);
  });
});
