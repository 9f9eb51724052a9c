/**
 * SVG polyline points for a sparkline. The y axis starts at 0 (counts are never negative), so a
 * flat low series looks low instead of being stretched to fill the box.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number, pad = 1): string {
  return sparklineCoords(values, width, height, pad).join(' ');
}

/** "x,y" per value (two for a single value, so it still draws a line). */
export function sparklineCoords(values: readonly number[], width: number, height: number, pad = 1): string[] {
  if (values.length === 0 || width <= 0 || height <= 0) return [];
  let max = 0;
  for (const value of values) if (value > max) max = value;
  const innerW = Math.max(0, width - 2 * pad);
  const innerH = Math.max(0, height - 2 * pad);
  const y = (value: number) => round(pad + innerH - (max > 0 ? (Math.max(0, value) / max) * innerH : 0));
  if (values.length === 1) {
    const only = y(values[0] as number);
    return [`${round(pad)},${only}`, `${round(pad + innerW)},${only}`];
  }
  const step = innerW / (values.length - 1);
  return values.map((value, i) => `${round(pad + i * step)},${y(value)}`);
}

/**
 * The solid and the dotted part of a sparkline whose buckets from `partialFrom` on may still grow; the
 * dotted part starts at the last complete point so the two join.
 */
export function sparklineParts(
  values: readonly number[],
  partialFrom: number,
  width: number,
  height: number,
  pad = 1,
): { complete: string; partial: string } {
  const coords = sparklineCoords(values, width, height, pad);
  if (values.length <= 1) return partialFrom <= 0 ? { complete: '', partial: coords.join(' ') } : { complete: coords.join(' '), partial: '' };
  const cut = Math.max(0, Math.min(partialFrom, values.length));
  return {
    complete: cut >= 2 ? coords.slice(0, cut).join(' ') : '',
    partial: cut < values.length ? coords.slice(Math.max(0, cut - 1)).join(' ') : '',
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
