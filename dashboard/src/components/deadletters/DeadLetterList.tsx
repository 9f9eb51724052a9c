import { useState } from 'react';
import { useReplayDeadLetters } from '../../api/queries';
import type { DeadLetter } from '../../api/types';
import { ErrorView } from '../StateViews';
import { DeadLetterRow } from './DeadLetterRow';

/** One page of letters with its own selection; the parent remounts it per page so choices never leak. */
export function DeadLetterList({ letters, tz }: { letters: DeadLetter[]; tz: string }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const replay = useReplayDeadLetters();
  const replayable = letters.filter((l) => l.status === 'new').map((l) => l.id);
  // A refetch can turn a chosen letter into a replayed one: only what is still replayable counts.
  const chosen = replayable.filter((id) => selected.has(id));
  const allChosen = replayable.length > 0 && chosen.length === replayable.length;

  const toggle = (id: number) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const submit = () =>
    replay.mutate(chosen, {
      onSuccess: () => setSelected(new Set()),
    });

  return (
    <>
      <div className="toolbar">
        <button type="button" disabled={chosen.length === 0 || replay.isPending} onClick={submit} data-testid="dead-letters-replay">
          {replay.isPending ? 'Replaying…' : `Replay selected (${chosen.length})`}
        </button>
        {replay.isSuccess && (
          <span className="ok-text" role="status" data-testid="dead-letters-replayed">
            Replayed {replay.data.replayed} letter{replay.data.replayed === 1 ? '' : 's'} (ids {replay.data.ids.join(', ')}).
          </span>
        )}
      </div>
      {replay.isError && <ErrorView error={replay.error} title="Replay failed" />}
      <div className="table-scroll">
        <table className="table" data-testid="dead-letters-table">
          <thead>
            <tr>
              <th>
                <input
                  type="checkbox"
                  checked={allChosen}
                  disabled={replayable.length === 0}
                  onChange={() => setSelected(allChosen ? new Set() : new Set(replayable))}
                  aria-label="Select all new letters on this page"
                />
              </th>
              <th className="num">Id</th>
              <th>Reason</th>
              <th>Error</th>
              <th>Received ({tz})</th>
              <th>Status</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {letters.map((l) => (
              <DeadLetterRow key={l.id} letter={l} tz={tz} selected={selected.has(l.id)} onToggle={toggle} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
