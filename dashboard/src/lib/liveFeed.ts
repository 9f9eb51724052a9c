import type { QueryValue } from '../api/client';
import type { EventListItem } from '../api/types';
import { EVENTS_MAX_LIMIT, type EventsFilters } from './eventsFilters';
import type { RangeSpec } from './range';

/** The rows a page that follows live events shows, and those held back while the pointer is on the list. */
export interface LiveState {
  shown: EventListItem[];
  pending: EventListItem[];
}

export const LIVE_EMPTY: LiveState = { shown: [], pending: [] };
/** The list keeps this many live rows; older ones drop off the bottom, so a long follow stays light. */
export const LIVE_MAX_ROWS = 500;

/**
 * New events from a poll (newest first) go on top, or into `pending` while paused. An event already
 * shown or pending is dropped: a row is never doubled, and existing rows keep their objects (and keys),
 * so React leaves them alone.
 */
export function receive(state: LiveState, incoming: EventListItem[], paused: boolean): LiveState {
  const known = new Set([...state.shown, ...state.pending].map((e) => e.event_id));
  const fresh: EventListItem[] = [];
  for (const e of incoming) {
    if (known.has(e.event_id)) continue;
    known.add(e.event_id);
    fresh.push(e);
  }
  if (fresh.length === 0) return state;
  if (paused) return { shown: state.shown, pending: [...fresh, ...state.pending] };
  return { shown: [...fresh, ...state.pending, ...state.shown].slice(0, LIVE_MAX_ROWS), pending: [] };
}

/** The pointer left the list: what arrived meanwhile goes on top. */
export function resume(state: LiveState): LiveState {
  if (state.pending.length === 0) return state;
  return { shown: [...state.pending, ...state.shown].slice(0, LIVE_MAX_ROWS), pending: [] };
}

/** The live rows over the page's rows, without a row twice. */
export function withLive(live: EventListItem[], page: EventListItem[]): EventListItem[] {
  if (live.length === 0) return page;
  const ids = new Set(live.map((e) => e.event_id));
  return [...live, ...page.filter((e) => !ids.has(e.event_id))];
}

/** Following live makes sense only while the page's range reaches the present. */
export function rangeReachesNow(range: RangeSpec, nowMs: number): boolean {
  return range.kind === 'preset' || Date.parse(range.to) > nowMs;
}

/** The page's filters as /v1/events/live takes them (its range does not apply: the feed is "from now on"). */
export function liveQuery(f: EventsFilters): Record<string, QueryValue> {
  const withProperty = f.property !== '';
  return {
    types: f.types,
    user_id: f.userId,
    property: withProperty ? f.property : null,
    value: withProperty ? f.value : null,
    limit: EVENTS_MAX_LIMIT,
  };
}
