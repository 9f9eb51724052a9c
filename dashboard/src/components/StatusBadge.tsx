/** A coloured label; the colour follows the value so that the same word always looks the same. */
const TONE: Record<string, string> = {
  planned: 'ok',
  active: 'ok',
  OK: 'ok',
  RESOLVED: 'ok',
  replayed: 'ok',
  unplanned: 'warn',
  PENDING: 'warn',
  NODATA: 'muted',
  new: 'warn',
  blocked: 'bad',
  revoked: 'bad',
  FIRING: 'bad',
  discarded: 'muted',
};

export function StatusBadge({ value, testId }: { value: string; testId?: string }) {
  return (
    <span className={`badge badge-${TONE[value] ?? 'muted'}`} data-testid={testId}>
      {value}
    </span>
  );
}
