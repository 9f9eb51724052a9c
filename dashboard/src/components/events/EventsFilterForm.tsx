import { useState, type FormEvent } from 'react';
import { EVENTS_DEFAULT_LIMIT, eventsFilterError, type EventsFilters } from '../../lib/eventsFilters';
import { RangePicker } from '../RangePicker';
import { TypePicker } from '../TypePicker';

const EMPTY: EventsFilters = { types: [], userId: '', range: { kind: 'preset', preset: '24h' }, property: '', value: '', limit: EVENTS_DEFAULT_LIMIT };

/** Edits a draft; only "Apply" touches the URL (and so the query), so typing does not fire requests. */
export function EventsFilterForm({ initial, onApply, typeOptions, tz }: {
  initial: EventsFilters;
  onApply: (next: EventsFilters) => void;
  typeOptions: string[];
  tz: string;
}) {
  const [draft, setDraft] = useState(initial);
  const problem = eventsFilterError(draft);
  const set = (patch: Partial<EventsFilters>) => setDraft((d) => ({ ...d, ...patch }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!problem) onApply({ ...draft, userId: draft.userId.trim(), property: draft.property.trim() });
  };

  return (
    <form className="filters card" onSubmit={submit}>
      <TypePicker value={draft.types} onChange={(types) => set({ types })} options={typeOptions} max={Infinity} />
      <div className="filter-row">
        <label>
          User id
          <input value={draft.userId} onChange={(e) => set({ userId: e.target.value })} placeholder="exact user_id" data-testid="filter-user-id" />
        </label>
        <RangePicker value={draft.range} onChange={(range) => set({ range })} tz={tz} />
        <label>
          Property
          <input value={draft.property} onChange={(e) => set({ property: e.target.value })} placeholder="e.g. plan" data-testid="filter-property" />
        </label>
        <label>
          equals
          <input
            value={draft.value}
            onChange={(e) => set({ value: e.target.value })}
            placeholder='pro, 42, true or "42"'
            title="Read as JSON when it parses (42 is a number), else as text"
            data-testid="filter-value"
          />
        </label>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <div className="filter-actions">
        <button type="submit" disabled={problem !== null} data-testid="filter-apply">
          Apply
        </button>
        <button type="button" className="secondary" onClick={() => onApply({ ...EMPTY, limit: initial.limit })} data-testid="filter-reset">
          Reset
        </button>
      </div>
    </form>
  );
}
