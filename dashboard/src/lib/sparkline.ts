/**
 * SVG polyline points for a sparkline. The y axis starts at 0 (counts are never negative), so a
 * flat low series looks low instead of being stretched to fill the box.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number, pad = 1): string {
  if (values.length === 0 || width <= 0 || height <= 0) return '';
  let max = 0;
  for (const value of values) if (value > max) max = value;
  const innerW = Math.max(0, width - 2 * pad);
  const innerH = Math.max(0, height - 2 * pad);
  const y = (value: number) => round(pad + innerH - (max > 0 ? (Math.max(0, value) / max) * innerH : 0));
  if (values.length === 1) {
    const only = y(values[0] as number);
    return `${round(pad)},${only} ${round(pad + innerW)},${only}`;
  }
  const step = innerW / (values.length - 1);
  return values.map((value, i) => `${round(pad + i * step)},${y(value)}`).join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
