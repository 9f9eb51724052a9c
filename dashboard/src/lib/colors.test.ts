import { describe, expect, it } from 'vitest';
import { hashName, typeColor } from './colors';

describe('typeColor', () => {
  it('is the same for the same name, whatever else is listed', () => {
    expect(typeColor('error_raised')).toBe(typeColor('error_raised'));
    const onOverview = ['signup', 'error_raised'].map(typeColor);
    const onMetrics = ['error_raised'].map(typeColor);
    expect(onOverview[1]).toBe(onMetrics[0]);
  });

  it('differs between similar names', () => {
    expect(typeColor('page_view')).not.toBe(typeColor('page_viewed'));
    const names = Array.from({ length: 20 }, (_, i) => `type_${i}`);
    expect(new Set(names.map(typeColor)).size).toBeGreaterThan(15);
  });

  it('is a CSS hsl() colour with a hue in range', () => {
    const m = /^hsl\((\d+) 70% (34|44|54)%\)$/.exec(typeColor('checkout'));
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(360);
  });

  it('hashes with FNV-1a (known vectors)', () => {
    expect(hashName('')).toBe(0x811c9dc5);
    expect(hashName('a')).toBe(0xe40c292c);
    expect(hashName('foobar')).toBe(0xbf9cf968);
  });
});
