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

/**
 * A hue from the hash, and one of two lightness steps from other bits: two types whose hues land close
 * together still differ half the time. Saturation and lightness stay in a band that reads on white.
 */
export function typeColor(name: string): string {
  const h = hashName(name);
  const hue = h % 360;
  const light = (h >>> 9) % 2 === 0 ? 38 : 50;
  return `hsl(${hue} 70% ${light}%)`;
}
