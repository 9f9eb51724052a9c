/**
 * One colour per event type, everywhere. The tenant's catalog, oldest type first, hands out a palette
 * of well-separated colours: a type's slot depends only on the types seen before it, so a new type takes
 * the next free colour and never moves an existing one. Types past the palette, or not yet in the catalog,
 * get a colour derived from their name, which is stable too but can land near another.
 */

/**
 * Tableau 10 with its light members (orange, teal, yellow, pink, grey) darkened to 3:1 on white, then ten
 * picked greedily for the largest OKLab distance from those already chosen, among colours of 3:1 or more.
 */
export const PALETTE: readonly string[] = [
  '#4e79a7', '#e8710a', '#e15759', '#2e8b87', '#59a14f', '#b38f00', '#b07aa1', '#d6457e', '#9c755f', '#79706e',
  '#6a0092', '#0f4713', '#8a0316', '#0f41cc', '#904be4', '#2b3f6b', '#057918', '#923e81', '#d55be1', '#6684fb',
];

/** A type's colour; one function for a whole page, so every place asks the same one. */
export type TypeColors = (name: string) => string;

/** FNV-1a, 32 bit: tiny, stable across engines, and spreads similar names ("a1", "a2") apart. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const LIGHTNESS = [34, 44, 54];

/**
 * The fallback: a hue from the hash, and one of three lightness steps from other bits, so two types whose
 * hues land close together still differ two times in three. Every step reads on white.
 */
export function hashColor(name: string): string {
  const h = hashName(name);
  const hue = h % 360;
  const light = LIGHTNESS[(h >>> 9) % LIGHTNESS.length] as number;
  return `hsl(${hue} 70% ${light}%)`;
}

export interface SeenType {
  name: string;
  /** Receive time (ISO); null for a planned type no event has carried yet. */
  first_seen_at: string | null;
}

/**
 * Palette slots by first receive time, then name. A planned type has no slot until its first event:
 * sorting it anywhere before then would shift the types after it when it arrives.
 */
export function assignTypeColors(catalog: readonly SeenType[]): TypeColors {
  const seen = catalog
    .flatMap((t) => (t.first_seen_at === null ? [] : [{ name: t.name, at: Date.parse(t.first_seen_at) }]))
    .sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const slots = new Map(seen.slice(0, PALETTE.length).map((t, i) => [t.name, PALETTE[i] as string]));
  return (name) => slots.get(name) ?? hashColor(name);
}
