import { describe, expect, it } from 'vitest';
import { assignTypeColors, hashColor, hashName, PALETTE, type SeenType } from './colors';

/** n types first seen a minute apart, in the order given; the list order is not the catalog's. */
function seenInOrder(names: string[]): SeenType[] {
  const start = Date.parse('2026-12-01T00:00:00Z');
  return names.map((name, i) => ({ name, first_seen_at: new Date(start + i * 60_000).toISOString() })).reverse();
}

const twenty = Array.from({ length: 20 }, (_, i) => `type_${String(i).padStart(2, '0')}`);

describe('assignTypeColors', () => {
  it('gives the first 20 types, in first-seen order, the 20 palette colours', () => {
    const colors = assignTypeColors(seenInOrder(twenty));
    expect(twenty.map(colors)).toEqual(PALETTE);
    expect(new Set(twenty.map(colors)).size).toBe(20);
  });

  it('keeps every colour when a newer type appears, even one whose name sorts first', () => {
    const before = assignTypeColors(seenInOrder(['search', 'signup', 'add_to_cart']));
    const after = assignTypeColors(seenInOrder(['search', 'signup', 'add_to_cart', 'aaa_new']));
    expect(['search', 'signup', 'add_to_cart'].map(after)).toEqual(['search', 'signup', 'add_to_cart'].map(before));
    expect(after('aaa_new')).toBe(PALETTE[3]);
  });

  it('breaks a tie of first receive time by name', () => {
    const at = '2026-12-01T00:00:00Z';
    const colors = assignTypeColors([{ name: 'b', first_seen_at: at }, { name: 'a', first_seen_at: at }]);
    expect([colors('a'), colors('b')]).toEqual([PALETTE[0], PALETTE[1]]);
  });

  it('falls back to the name colour for unknown, never-seen and past-the-palette types', () => {
    const planned: SeenType = { name: 'planned_type', first_seen_at: null };
    const colors = assignTypeColors([...seenInOrder([...twenty, 'type_20']), planned]);
    expect(colors('type_20')).toBe(hashColor('type_20'));
    expect(colors('planned_type')).toBe(hashColor('planned_type'));
    expect(colors('not_in_catalog')).toBe(hashColor('not_in_catalog'));
    // a planned type takes no slot, so its first event cannot push a seen type to another colour
    expect(colors('type_00')).toBe(PALETTE[0]);
  });

  it('is the same for the same catalog, whatever page asks', () => {
    const catalog = seenInOrder(['signup', 'error_raised']);
    expect(assignTypeColors(catalog)('error_raised')).toBe(assignTypeColors([...catalog])('error_raised'));
  });
});

/** Linear-light sRGB channels of #rrggbb. */
function linear(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
}

/** WCAG relative luminance. */
function luminance(hex: string): number {
  const [r, g, b] = linear(hex);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** OKLab (Björn Ottosson), where distance follows how different two colours look. */
function oklab(hex: string): [number, number, number] {
  const [r, g, b] = linear(hex);
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

describe('PALETTE', () => {
  it('has 20 different colours, each at least 3:1 against white (WCAG non-text contrast)', () => {
    expect(PALETTE).toHaveLength(20);
    expect(new Set(PALETTE).size).toBe(20);
    for (const c of PALETTE) expect(1.05 / (luminance(c) + 0.05), c).toBeGreaterThanOrEqual(3);
  });

  it('keeps every two colours well apart (OKLab distance 0.06 or more; 0.02 is about the least visible)', () => {
    const pairs = PALETTE.flatMap((a, i) => PALETTE.slice(i + 1).map((b) => [a, b] as const));
    for (const [a, b] of pairs) {
      const [p, q] = [oklab(a), oklab(b)];
      expect(Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]), `${a} ${b}`).toBeGreaterThanOrEqual(0.06);
    }
  });
});

describe('hashColor', () => {
  it('differs between similar names', () => {
    expect(hashColor('page_view')).not.toBe(hashColor('page_viewed'));
    expect(new Set(twenty.map(hashColor)).size).toBeGreaterThan(15);
  });

  it('is a CSS hsl() colour with a hue in range', () => {
    const m = /^hsl\((\d+) 70% (34|44|54)%\)$/.exec(hashColor('checkout'));
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(360);
  });

  it('hashes with FNV-1a (known vectors)', () => {
    expect(hashName('')).toBe(0x811c9dc5);
    expect(hashName('a')).toBe(0xe40c292c);
    expect(hashName('foobar')).toBe(0xbf9cf968);
  });
});
