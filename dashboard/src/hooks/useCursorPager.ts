import { useCallback } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { pagerState, readPagerCursors } from '../lib/pager';

/**
 * The cursor stack of the current list, tied to the current query string: changing a filter
 * changes the search and so starts again at page 1, and "back" from a detail page lands on the
 * page the user left.
 */
export function useCursorPager() {
  const location = useLocation();
  const navigate = useNavigate();
  const key = location.search;
  const cursors = readPagerCursors(location.state, key);

  const go = useCallback(
    (next: string[]) =>
      navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: pagerState(key, next) }),
    [navigate, location.pathname, location.search, key],
  );

  return {
    cursor: cursors.at(-1) ?? null,
    page: cursors.length + 1,
    next: (cursor: string) => go([...cursors, cursor]),
    prev: () => go(cursors.slice(0, -1)),
    first: () => go([]),
  };
}
