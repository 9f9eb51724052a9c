// @vitest-environment jsdom
// Issue 18: the person page, the links that lead to it, and the Events page following live events.
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventListItem } from '../api/types';
import { renderApp, sessionWith, stubApi, type Call, type Handler } from '../test/api';

const reader: Handler = (c) => (c.path === '/v1/session' ? { status: 200, body: sessionWith(['read']) } : undefined);
const quiet: Handler = (c) => (['/v1/alerts', '/v1/catalog'].includes(c.path) ? { status: 200, body: { rules: [], event_types: [] } } : undefined);

const ev = (id: string, user: string | null, anonymous: string | null, type = 'page'): EventListItem => ({
  event_id: id,
  event_type: type,
  user_id: user,
  anonymous_id: anonymous,
  occurred_at: '2026-12-07T12:00:00Z',
  received_at: '2026-12-07T12:00:01Z',
  is_late: false,
  properties_preview: '{}',
});

const profile: Handler = (c) =>
  c.path === '/v1/people/profile'
    ? {
        status: 200,
        body: {
          person: {
            user_id: 'u-1',
            anonymous_ids: ['a-1', 'a-2'],
            first_seen: '2026-12-01T09:00:00Z',
            last_seen: '2026-12-07T12:00:00Z',
            event_count: 8,
            counts_by_type: [
              { type: 'page', count: 6 },
              { type: 'checkout', count: 2 },
            ],
          },
          resolved_from_anonymous_id: c.query.get('anonymous_id'),
        },
      }
    : undefined;
const timeline: Handler = (c) => {
  if (c.path !== '/v1/people/events') return undefined;
  const second = c.query.get('cursor') === 'p2';
  return {
    status: 200,
    body: {
      user_id: 'u-1',
      anonymous_ids: ['a-1', 'a-2'],
      resolved_from_anonymous_id: null,
      events: second ? [ev('e3', null, 'a-1')] : [ev('e1', 'u-1', null, 'checkout'), ev('e2', 'u-1', 'a-2')],
      next_cursor: second ? null : 'p2',
    },
  };
};

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('the person page', () => {
  it('shows who the person is, their counts by type and their timeline, page by page', async () => {
    const calls = stubApi(reader, quiet, profile, timeline);
    renderApp('/people?user_id=u-1');
    expect((await screen.findByTestId('person-user-id')).textContent).toBe('u-1');
    expect(screen.getByTestId('person-anonymous-ids').textContent).toBe('a-1, a-2');
    expect(screen.getByTestId('person-event-count').textContent).toBe('8');
    const counts = screen.getAllByTestId('person-count-row').map((r) => [r.dataset.type, within(r).getAllByRole('cell')[1]?.textContent]);
    expect(counts).toEqual([['page', '6'], ['checkout', '2']]);
    expect((await screen.findAllByTestId('events-row')).map((r) => r.dataset.eventId)).toEqual(['e1', 'e2']);
    fireEvent.click(screen.getByTestId('person-next'));
    await waitFor(() => expect(screen.getAllByTestId('events-row').map((r) => r.dataset.eventId)).toEqual(['e3']));
    const asked = calls.filter((c) => c.path === '/v1/people/events').map((c) => [c.query.get('user_id'), c.query.get('cursor')]);
    expect(asked).toEqual([['u-1', null], ['u-1', 'p2']]);
  });

  it('says when an anonymous id was resolved to its user', async () => {
    stubApi(reader, quiet, profile, timeline);
    renderApp('/people?anonymous_id=a-2');
    expect((await screen.findByTestId('person-resolved')).textContent).toContain('a-2');
  });

  it('shows the API’s 404 for someone unknown', async () => {
    stubApi(reader, quiet, (c) =>
      c.path.startsWith('/v1/people/') ? { status: 404, body: { error: { code: 'person_not_found', message: "this tenant has no events of user_id 'x'", field: 'user_id' } } } : undefined,
    );
    renderApp('/people?user_id=x');
    expect((await screen.findByRole('alert')).textContent).toContain("no events of user_id 'x'");
  });
});

describe('links to a person', () => {
  it('makes every user id and anonymous id in the explorer a link to their page', async () => {
    stubApi(reader, quiet, (c) => (c.path === '/v1/events' ? { status: 200, body: { events: [ev('e1', 'u 1', 'a-1'), ev('e2', null, 'a-9')], next_cursor: null } } : undefined));
    renderApp('/events');
    const users = await screen.findAllByTestId('events-row-user-link');
    expect(users.map((a) => a.getAttribute('href'))).toEqual(['/people?user_id=u+1']);
    expect(screen.getAllByTestId('events-row-anonymous-link').map((a) => a.getAttribute('href'))).toEqual([
      '/people?anonymous_id=a-1',
      '/people?anonymous_id=a-9',
    ]);
  });

  it('links the event detail page’s ids too', async () => {
    stubApi(reader, quiet, (c) =>
      c.path === '/v1/events/e1'
        ? { status: 200, body: { ...ev('e1', 'u-1', 'a-1'), project_id: 'p', client_timestamp: null, sent_at: null, properties: {}, context: {}, trace_id: null, kafka: null } }
        : undefined,
    );
    renderApp('/events/e1?at=2026-12-07T12:00:00Z');
    expect((await screen.findByTestId('event-detail-user')).getAttribute('href')).toBe('/people?user_id=u-1');
    expect(screen.getByTestId('event-detail-anonymous').getAttribute('href')).toBe('/people?anonymous_id=a-1');
  });
});

describe('following live events', () => {
  /** The feed answers each poll from a queue; once it runs dry, nothing new. */
  function liveFeed(batches: EventListItem[][]): Handler {
    let polls = 0;
    return (c: Call) => {
      if (c.path !== '/v1/events/live') return undefined;
      const events = c.query.get('after') === null ? [] : (batches[polls++] ?? []);
      return { status: 200, body: { events, next_cursor: `c${polls}`, has_more: false, lateness_seconds: 600 } };
    };
  }
  const page: Handler = (c) => (c.path === '/v1/events' ? { status: 200, body: { events: [ev('old', 'u', null)], next_cursor: null } } : undefined);
  const rowIds = () => screen.getAllByTestId('events-row').map((r) => r.dataset.eventId);

  it('puts new events on top without doubling a row, with the page’s filters', async () => {
    const calls = stubApi(reader, quiet, page, liveFeed([[ev('n1', 'u', null)], [ev('n2', 'u', null), ev('n1', 'u', null)]]));
    renderApp('/events?types=page&user_id=u');
    await screen.findAllByTestId('events-row');
    fireEvent.click(screen.getByTestId('events-follow'));
    await waitFor(() => expect(rowIds()).toEqual(['n2', 'n1', 'old']));
    const live = calls.filter((c) => c.path === '/v1/events/live');
    expect(live.every((c) => c.query.get('types') === 'page' && c.query.get('user_id') === 'u')).toBe(true);
    expect(live[1]?.query.get('after')).toBe('c0'); // each poll carries the cursor the last one gave
  });

  it('pauses while the pointer is on the list, with an "N new" marker, and catches up when it leaves', async () => {
    stubApi(reader, quiet, page, liveFeed([[], [ev('n1', 'u', null)], [ev('n2', 'u', null)]]));
    renderApp('/events');
    await screen.findAllByTestId('events-row');
    fireEvent.click(screen.getByTestId('events-follow'));
    fireEvent.mouseEnter(screen.getByTestId('events-list'));
    expect((await screen.findByTestId('live-new-marker')).textContent).toBe('1 new');
    expect(rowIds()).toEqual(['old']);
    await waitFor(() => expect(screen.getByTestId('live-new-marker').textContent).toBe('2 new'));
    expect(rowIds()).toEqual(['old']);
    fireEvent.mouseLeave(screen.getByTestId('events-list'));
    await waitFor(() => expect(rowIds()).toEqual(['n2', 'n1', 'old']));
    expect(screen.queryByTestId('live-new-marker')).toBeNull();
  });
});
