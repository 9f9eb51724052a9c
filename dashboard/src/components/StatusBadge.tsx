/** A coloured label; the colour follows the value so that the same word always looks the same. */
export const BADGE_TONE: Record<string, string> = {
  planned: 'ok',
  active: 'ok',
  OK: 'ok',
  RESOLVED: 'info',
  replayed: 'ok',
  delivered: 'ok',
  sent: 'ok',
  unplanned: 'warn',
  PENDING: 'warn',
  pending: 'warn',
  warning: 'warn',
  NODATA: 'muted',
  new: 'warn',
  blocked: 'bad',
  revoked: 'bad',
  FIRING: 'bad',
  failed: 'bad',
  critical: 'bad',
  info: 'info',
  discarded: 'muted',
  disabled: 'muted',
  suppressed: 'muted',
};

export function StatusBadge({ value, testId, title }: { value: string; testId?: string; title?: string }) {
  return (
    <span className={`badge badge-${BADGE_TONE[value] ?? 'muted'}`} data-testid={testId} data-value={value} title={title}>
      {value}
    </span>
  );
}
