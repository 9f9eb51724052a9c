/**
 * Keyset pagination only goes forward, so "Previous" needs the cursors already used. They are kept
 * in the history entry's state (not in the URL, which stays a clean filter description), tagged
 * with the filters they belong to so that new filters start again at page 1.
 */
export interface PagerState {
  key: string;
  cursors: string[];
}

export function readPagerCursors(historyState: unknown, key: string): string[] {
  if (typeof historyState !== 'object' || historyState === null || !('pager' in historyState)) return [];
  const pager = (historyState as { pager: unknown }).pager;
  if (typeof pager !== 'object' || pager === null) return [];
  const { key: stateKey, cursors } = pager as Partial<PagerState>;
  if (stateKey !== key || !Array.isArray(cursors)) return [];
  return cursors.filter((c): c is string => typeof c === 'string');
}

export function pagerState(key: string, cursors: string[]): { pager: PagerState } {
  return { pager: { key, cursors } };
}
