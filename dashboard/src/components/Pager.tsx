/** Previous/Next for keyset pagination: "Next" exists only while the API hands out a cursor. */
export function Pager({ page, hasNext, onPrev, onNext, busy, prevTestId, nextTestId }: {
  page: number;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  busy?: boolean;
  prevTestId?: string;
  nextTestId?: string;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrev} disabled={page <= 1 || busy} data-testid={prevTestId}>
        ← Previous page
      </button>
      <span className="muted" data-testid="pager-page">
        Page {page}
      </span>
      <button type="button" onClick={onNext} disabled={!hasNext || busy} data-testid={nextTestId}>
        Next page →
      </button>
    </nav>
  );
}
