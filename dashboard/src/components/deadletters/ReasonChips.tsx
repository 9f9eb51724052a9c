import { formatNumber } from '../../lib/format';

/** Counts by reason; clicking one filters the list by it, clicking it again clears the filter. */
export function ReasonChips({ counts, active, onPick }: {
  counts: Record<string, number>;
  active: string;
  onPick: (reason: string) => void;
}) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return null;
  return (
    <div className="chips" data-testid="dead-letter-reasons">
      <button type="button" className={`chip-button${active === '' ? ' active' : ''}`} onClick={() => onPick('')}>
        all reasons
      </button>
      {entries.map(([reason, count]) => (
        <button
          key={reason}
          type="button"
          className={`chip-button${active === reason ? ' active' : ''}`}
          aria-pressed={active === reason}
          onClick={() => onPick(active === reason ? '' : reason)}
          data-testid="dead-letter-reason"
          data-reason={reason}
        >
          {reason} <strong>{formatNumber(count)}</strong>
        </button>
      ))}
    </div>
  );
}
