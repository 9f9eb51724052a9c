import { describe, expect, it } from 'vitest';
import { parseCatalogFilters, parseDeadLetterFilters, serialiseCatalogFilters, serialiseDeadLetterFilters } from './listFilters';

describe('catalog filters', () => {
  it('reads status and search, ignoring an unknown status', () => {
    expect(parseCatalogFilters(new URLSearchParams('status=blocked&q=sign'))).toEqual({ status: 'blocked', q: 'sign' });
    expect(parseCatalogFilters(new URLSearchParams('status=gone'))).toEqual({ status: '', q: '' });
  });

  it('writes only what is set', () => {
    expect(serialiseCatalogFilters({ status: '', q: '' }).toString()).toBe('');
    expect(serialiseCatalogFilters({ status: 'planned', q: 'a b' }).toString()).toBe('status=planned&q=a+b');
  });
});

describe('dead-letter filters', () => {
  it('defaults to new letters, 50 a page', () => {
    expect(parseDeadLetterFilters(new URLSearchParams(''))).toEqual({ reason: '', status: 'new', limit: 50 });
  });

  it('round-trips', () => {
    const f = parseDeadLetterFilters(new URLSearchParams('status=all&reason=schema_invalid&limit=10'));
    expect(f).toEqual({ reason: 'schema_invalid', status: 'all', limit: 10 });
    expect(parseDeadLetterFilters(serialiseDeadLetterFilters(f))).toEqual(f);
    expect(serialiseDeadLetterFilters({ reason: '', status: 'new', limit: 50 }).toString()).toBe('');
  });
});
