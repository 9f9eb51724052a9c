import { describe, expect, it } from 'vitest';
import { changedFields } from './catalogPatch';

const item = { description: 'Signs up', owner: 'growth', status: 'planned' as const };

describe('changedFields', () => {
  it('is empty when nothing changed', () => {
    expect(changedFields(item, { description: 'Signs up', owner: 'growth', status: 'planned' })).toEqual({});
  });

  it('sends only what changed', () => {
    expect(changedFields(item, { description: 'Signs up', owner: 'growth', status: 'blocked' })).toEqual({ status: 'blocked' });
  });

  it('turns an empty owner into null and trims it otherwise', () => {
    expect(changedFields(item, { description: 'Signs up', owner: '  ', status: 'planned' })).toEqual({ owner: null });
    expect(changedFields({ ...item, owner: null }, { description: 'Signs up', owner: '', status: 'planned' })).toEqual({});
    expect(changedFields(item, { description: 'Signs up', owner: ' data ', status: 'planned' })).toEqual({ owner: 'data' });
  });

  it('keeps the description exactly, whitespace included', () => {
    expect(changedFields(item, { description: 'Signs up ', owner: 'growth', status: 'planned' })).toEqual({ description: 'Signs up ' });
  });
});
