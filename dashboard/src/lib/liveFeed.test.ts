import { describe, expect, it } from 'vitest';
import type { EventListItem } from '../api/types';
import { LIVE_EMPTY, LIVE_MAX_ROWS, liveQuery, rangeReachesNow, receive, resume, withLive } from './liveFeed';

const ev = (id: string): EventListItem => ({
  event_id: id,
  event_type: 'page',
  user_id: 'u',
  anonymous_id: null,
  occurred_at: '2026-12-07T12:00:00Z',
  received_at: '2026-12-07T12:00:01Z',
  is_late: false,
  properties_preview: '{}',
});
const ids = (rows: EventListItem[]) => rows.map((e) => e.event_id);

describe('the live list', () => {
  it('puts new events on top and never shows one twice', () => {
    const first = receive(LIVE_EMPTY, [ev('b'), ev('a')], false);
    const second = receive(first, [ev('c'), ev('b')], false);
    expect(ids(second.shown)).toEqual(['c', 'b', 'a']);
    expect(second.shown[1]).toBe(first.shown[0]); // the row kept its object: React leaves it alone
  });

  it('holds new events back while paused, counts them, and shows them on top when resumed', () => {
    const shown = receive(LIVE_EMPTY, [ev('a')], false);
    const paused = receive(receive(shown, [ev('b')], true), [ev('c'), ev('b')], true);
    expect(ids(paused.shown)).toEqual(['a']);
    expect(ids(paused.pending)).toEqual(['c', 'b']);
    expect(ids(resume(paused).shown)).toEqual(['c', 'b', 'a']);
    expect(resume(paused).pending).toEqual([]);
  });

  it('returns the same state when nothing is new, so nothing re-renders', () => {
    const state = receive(LIVE_EMPTY, [ev('a')], false);
    expect(receive(state, [ev('a')], false)).toBe(state);
    expect(resume(state)).toBe(state);
  });

  it('keeps at most LIVE_MAX_ROWS rows, dropping the oldest', () => {
    const many = Array.from({ length: LIVE_MAX_ROWS + 5 }, (_, i) => ev(`e${LIVE_MAX_ROWS + 5 - i}`));
    const state = receive(LIVE_EMPTY, many, false);
    expect(state.shown).toHaveLength(LIVE_MAX_ROWS);
    expect(state.shown[0]?.event_id).toBe(`e${LIVE_MAX_ROWS + 5}`);
  });

  it('lays the live rows over the page without doubling one', () => {
    expect(ids(withLive([ev('c'), ev('b')], [ev('b'), ev('a')]))).toEqual(['c', 'b', 'a']);
  });
});

describe('following the page', () => {
  it('needs a range that reaches now', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(rangeReachesNow({ kind: 'preset', preset: '24h' }, now)).toBe(true);
    expect(rangeReachesNow({ kind: 'custom', from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }, now)).toBe(false);
    expect(rangeReachesNow({ kind: 'custom', from: '2026-12-07T00:00:00Z', to: '2026-12-08T00:00:00Z' }, now)).toBe(true);
  });

  it("asks the feed with the page's filters, not its range", () => {
    const q = liveQuery({ types: ['checkout'], userId: 'u-1', range: { kind: 'preset', preset: '1h' }, property: 'plan', value: 'pro', limit: 50 });
    expect(q).toEqual({ types: ['checkout'], user_id: 'u-1', property: 'plan', value: 'pro', limit: 200 });
    expect(liveQuery({ types: [], userId: '', range: { kind: 'preset', preset: '1h' }, property: '', value: 'x', limit: 50 }).value).toBeNull();
  });
});
