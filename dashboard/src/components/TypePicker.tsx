import { useId, useState } from 'react';

/**
 * Event types as removable chips plus a text box suggesting names from the catalog. Names not in
 * the suggestions are allowed: the catalog list may be filtered or not loaded yet.
 */
export function TypePicker({ value, onChange, options, max = 20, testId = 'filter-types' }: {
  value: string[];
  onChange: (next: string[]) => void;
  options: string[];
  max?: number;
  testId?: string;
}) {
  const [draft, setDraft] = useState('');
  const listId = useId();
  const full = value.length >= max;

  const add = (raw: string) => {
    const names = raw.split(',').map((s) => s.trim()).filter((s) => s && !value.includes(s));
    if (names.length > 0) onChange([...value, ...names].slice(0, max));
    setDraft('');
  };

  return (
    <div className="type-picker">
      <span className="label-text">Event types</span>
      <div className="chips">
        {value.map((name) => (
          <span className="chip" key={name}>
            {name}
            <button type="button" aria-label={`Remove ${name}`} onClick={() => onChange(value.filter((v) => v !== name))}>
              ×
            </button>
          </span>
        ))}
        <input
          list={listId}
          value={draft}
          disabled={full}
          placeholder={full ? `At most ${max}` : 'Add a type…'}
          onChange={(e) => {
            const next = e.target.value;
            // Picking from the datalist fills the whole name at once: take it as a choice.
            if (options.includes(next)) add(next);
            else setDraft(next);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add(draft);
            }
          }}
          onBlur={() => draft && add(draft)}
          data-testid={testId}
        />
        <datalist id={listId}>
          {options.filter((o) => !value.includes(o)).map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      </div>
    </div>
  );
}
