import { describe, expect, it } from 'vitest';
import { pageTitle } from './titles';

describe('pageTitle', () => {
  it('names the page before the product', () => {
    expect(pageTitle('/', 0)).toBe('Overview · CustomerSignal');
    expect(pageTitle('/metrics', 0)).toBe('Metrics · CustomerSignal');
    expect(pageTitle('/dead-letters', 0)).toBe('Dead letters · CustomerSignal');
    expect(pageTitle('/nope', 0)).toBe('Not found · CustomerSignal');
  });

  it('names the thing on detail pages', () => {
    expect(pageTitle('/catalog/error%20raised', 0)).toBe('error raised · Catalog · CustomerSignal');
    expect(pageTitle('/alerts/3f2a', 0)).toBe('Rule · Alerts · CustomerSignal');
    expect(pageTitle('/alerts/new', 0)).toBe('New rule · Alerts · CustomerSignal');
    expect(pageTitle('/alerts/3f2a/edit', 0)).toBe('Edit rule · Alerts · CustomerSignal');
    expect(pageTitle('/events/abc', 0)).toBe('Event · Events · CustomerSignal');
    expect(pageTitle('/catalog/%E0%A4%A', 0)).toBe('%E0%A4%A · Catalog · CustomerSignal');
  });

  it('puts firing alerts first', () => {
    expect(pageTitle('/events', 2)).toBe('(2 firing) Events · CustomerSignal');
  });
});
