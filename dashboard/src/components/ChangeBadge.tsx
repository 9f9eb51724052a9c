import { formatChange } from '../lib/format';

export function ChangeBadge({ pct, current, testId }: { pct: number | null; current: number; testId?: string }) {
  const { text, direction } = formatChange(pct, current);
  return (
    <span className={`change change-${direction}`} data-testid={testId} title="Change vs the previous period of the same length">
      {text}
    </span>
  );
}
