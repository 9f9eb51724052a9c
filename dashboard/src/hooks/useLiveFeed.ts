import { useCallback, useEffect, useRef, useState } from 'react';
import type { LiveEventsResponse } from '../api/types';
import type { QueryValue } from '../api/client';
import { useApi } from '../api/useApi';
import { LIVE_EMPTY, receive, resume, type LiveState } from '../lib/liveFeed';

export const LIVE_POLL_MS = 2_000;
const RETRY_MS = 5_000;

/**
 * Follows /v1/events/live while `enabled`: the first call places a cursor at the tail, then a poll every
 * ~2 s (at once while the API says more is waiting) asks for what was stored after it. Only new rows
 * are added; nothing already on the list is fetched again. `filterKey` names the page's filters: when it
 * changes, the feed starts over from the tail. `onStart` runs when the tail is placed.
 */
export function useLiveFeed(
  query: Record<string, QueryValue>,
  filterKey: string,
  enabled: boolean,
  paused: boolean,
  onStart?: () => void,
) {
  const api = useApi();
  const [state, setState] = useState<LiveState>(LIVE_EMPTY);
  const [error, setError] = useState<string | null>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const queryRef = useRef(query);
  queryRef.current = query;
  const onStartRef = useRef(onStart);
  onStartRef.current = onStart;
  const callRef = useRef(api.call);
  callRef.current = api.call;

  useEffect(() => {
    setState(LIVE_EMPTY);
    setError(null);
    if (!enabled || !api.enabled) return undefined;
    const abort = new AbortController();
    let cursor: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let wait = LIVE_POLL_MS;
      try {
        const page = await callRef.current<LiveEventsResponse>('/v1/events/live', {
          query: { ...queryRef.current, after: cursor },
          signal: abort.signal,
        });
        // Once the tail is placed, the caller reloads what lies before it: nothing falls between the two.
        if (cursor === null) onStartRef.current?.();
        cursor = page.next_cursor;
        if (page.events.length > 0) setState((s) => receive(s, page.events, pausedRef.current));
        setError(null);
        if (page.has_more) wait = 0;
      } catch (e) {
        if (abort.signal.aborted) return;
        setError(e instanceof Error ? e.message : String(e));
        wait = RETRY_MS;
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void poll(), wait);
    };
    void poll();
    return () => {
      abort.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [enabled, api.enabled, filterKey]);

  useEffect(() => {
    if (!paused) setState(resume);
  }, [paused]);

  const flush = useCallback(() => setState(resume), []);
  return { shown: state.shown, pending: state.pending.length, error, flush };
}
