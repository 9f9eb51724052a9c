import { sparklineParts } from '../lib/sparkline';

/**
 * A plain SVG line: ten of these cost nothing, where ten canvases with axes would. Buckets from
 * `partialFrom` on are still filling: dotted, and the label says the last value is so far.
 */
export function Sparkline({ values, partialFrom, width = 120, height = 28, color, label }: {
  values: number[];
  partialFrom: number;
  width?: number;
  height?: number;
  color: string;
  label: string;
}) {
  const { complete, partial } = sparklineParts(values, partialFrom, width, height, 2);
  const last = values[values.length - 1];
  const title = partial && last !== undefined ? `${label}; the last hour so far: ${last}` : label;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} data-partial={partial ? 'true' : 'false'}>
      <title>{title}</title>
      {complete && <polyline points={complete} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />}
      {partial && <polyline points={partial} fill="none" stroke={color} strokeWidth={1.5} strokeDasharray="2 2.5" data-testid="sparkline-partial" />}
    </svg>
  );
}
