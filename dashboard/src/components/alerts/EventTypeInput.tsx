import { useId } from 'react';

/** One event type: free text with the catalog's names as suggestions (the catalog may lag behind). */
export function EventTypeInput({ value, onChange, options, invalid }: {
  value: string;
  onChange: (next: string) => void;
  options: string[];
  invalid: boolean;
}) {
  const listId = useId();
  return (
    <>
      <input list={listId} value={value} onChange={(e) => onChange(e.target.value)} placeholder="e.g. checkout" aria-invalid={invalid} data-testid="rule-event-type" />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </>
  );
}
