import { describe, expect, it } from 'vitest';
import type { CatalogProperty } from '../api/types';
import { isNumeric, observedTypes, propertyChoices, rollupStatus } from './catalogProperties';

const prop = (name: string, types: string[]): CatalogProperty => ({ name, types, first_seen_at: 'x', last_seen_at: 'y' });
const PROPS = [prop('plan', ['string']), prop('amount', ['number']), prop('mixed', ['number', 'string'])];

describe('catalog properties', () => {
  it('calls numeric only a property whose every observed type is number', () => {
    expect(PROPS.filter(isNumeric).map((p) => p.name)).toEqual(['amount']);
    expect(isNumeric(prop('none', []))).toBe(false);
  });

  it('offers the catalog names, keeping a name from the URL it does not list', () => {
    expect(propertyChoices(PROPS, '', isNumeric)).toEqual(['amount']);
    expect(propertyChoices(PROPS, 'gone', isNumeric)).toEqual(['gone', 'amount']);
    expect(propertyChoices(undefined, 'plan')).toEqual(['plan']);
    expect(observedTypes(PROPS, 'mixed')).toEqual(['number', 'string']);
    expect(observedTypes(PROPS, 'nope')).toEqual([]);
  });

  it('reads a rollup mark as the readers do: used once backfilled, never once capped', () => {
    const at = '2026-12-07T10:00:00Z';
    expect(rollupStatus(null)).toBe('off');
    expect(rollupStatus(undefined)).toBe('off');
    expect(rollupStatus({ active_from: at, backfilled_at: null, capped_at: null })).toBe('backfilling');
    expect(rollupStatus({ active_from: at, backfilled_at: at, capped_at: null })).toBe('active');
    expect(rollupStatus({ active_from: at, backfilled_at: at, capped_at: at })).toBe('capped');
    expect(rollupStatus({ active_from: at, backfilled_at: null, capped_at: at })).toBe('capped');
  });
});
