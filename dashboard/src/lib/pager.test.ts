import { describe, expect, it } from 'vitest';
import { pagerState, readPagerCursors } from './pager';

describe('cursor stack in history state', () => {
  it('reads back what was written for the same filters', () => {
    expect(readPagerCursors(pagerState('?a=1', ['c1', 'c2']), '?a=1')).toEqual(['c1', 'c2']);
  });

  it('starts over when the filters differ', () => {
    expect(readPagerCursors(pagerState('?a=1', ['c1']), '?a=2')).toEqual([]);
  });

  it('survives foreign or broken state', () => {
    expect(readPagerCursors(null, '')).toEqual([]);
    expect(readPagerCursors({ from: '/x' }, '')).toEqual([]);
    expect(readPagerCursors({ pager: { key: '', cursors: 'c1' } }, '')).toEqual([]);
    expect(readPagerCursors({ pager: { key: '', cursors: ['c1', 3] } }, '')).toEqual(['c1']);
  });
});
