import { sparklinePoints } from '../lib/sparkline';

/** A plain SVG line: ten of these cost nothing, where ten canvases with axes would. */
export function Sparkline({ values, width = 120, height = 28, color = '#2563eb', label }: {
  values: number[];
  width?: number;
  height?: number;
  color?: string;
  label: string;
}) {
  const points = sparklinePoints(values, width, height, 2);
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {points && <polyline points={points} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />}
    </svg>
  );
}
