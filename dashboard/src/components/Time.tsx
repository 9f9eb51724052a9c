import { formatDateTime } from '../lib/time';

/** A time in the display zone, with the exact UTC instant on hover. */
export function Time({ value, tz }: { value: string | number | null | undefined; tz: string }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  const iso = typeof value === 'number' ? new Date(value).toISOString() : value;
  return (
    <time dateTime={iso} title={`${iso} (UTC)`}>
      {formatDateTime(value, tz)}
    </time>
  );
}
