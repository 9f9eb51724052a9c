import { useState, type FormEvent } from 'react';
import { draftProblem, fromDraft, toDraft, WINDOWS, type FunnelQuery } from '../../lib/funnelQuery';
import { formatDuration } from '../../lib/format';
import { RangePicker } from '../RangePicker';
import { FunnelStepsEditor } from './FunnelStepsEditor';

/** The funnel as being edited; "Run funnel" puts it in the URL (which is what runs). */
export function FunnelForm({ query, onRun, typeOptions, tz }: {
  query: FunnelQuery;
  onRun: (next: FunnelQuery) => void;
  typeOptions: string[];
  tz: string;
}) {
  const [steps, setSteps] = useState(() => toDraft(query.steps));
  const [windowSeconds, setWindowSeconds] = useState(query.windowSeconds);
  const [range, setRange] = useState(query.range);
  const [breakdown, setBreakdown] = useState(query.breakdown);
  const problem = draftProblem(steps);
  // A window from a shared URL that is not a preset still shows, as itself.
  const windows = WINDOWS.some((w) => w.value === windowSeconds) ? WINDOWS : [...WINDOWS, { value: windowSeconds, label: formatDuration(windowSeconds) }];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problem === null) onRun({ steps: fromDraft(steps), windowSeconds, range, breakdown: breakdown.trim(), limit: query.limit });
  };

  return (
    <form className="filters card" onSubmit={submit} data-testid="funnel-form">
      <FunnelStepsEditor steps={steps} onChange={setSteps} typeOptions={typeOptions} />
      <div className="filter-row">
        <label>
          Conversion window
          <select value={windowSeconds} onChange={(e) => setWindowSeconds(Number(e.target.value))} data-testid="funnel-window">
            {windows.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <RangePicker value={range} onChange={setRange} tz={tz} testId="funnel-range" />
        <label>
          Breakdown (step 1 property)
          <input placeholder="none" value={breakdown} onChange={(e) => setBreakdown(e.target.value)} data-testid="funnel-breakdown-property" />
        </label>
        <button type="submit" disabled={problem !== null} data-testid="funnel-run">
          Run funnel
        </button>
      </div>
      {problem && <p className="muted small" data-testid="funnel-problem">{problem}</p>}
    </form>
  );
}
