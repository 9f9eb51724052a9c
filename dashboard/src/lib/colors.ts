/**
 * One colour per event type, everywhere: derived from the type's name, never from its position in a
 * list, so error_raised is the same colour on Overview, Metrics and after a reload, and a sparkline of a
 * type that is not on a chart still has its own colour.
 */

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
 * A hue from the hash, and one of three lightness steps from other bits: two types whose hues land
 * close together still differ two times in three. Every step reads on white. Two names can still land
 * on near colours (no colour from a name alone can rule that out); the legend and tooltip name each line.
 */
export function typeColor(name: string): string {
  const h = hashName(name);
  const hue = h % 360;
  const light = LIGHTNESS[(h >>> 9) % LIGHTNESS.length] as number;
  return `hsl(${hue} 70% ${light}%)`;
}
