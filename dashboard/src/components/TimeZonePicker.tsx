import { useId, useMemo, useState } from 'react';
import { canonicalTimeZone } from '../lib/time';

function allZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

/** Free text with suggestions; only a zone the browser knows is passed on. */
export function TimeZonePicker({ value, onChange }: { value: string; onChange: (tz: string) => void }) {
  const [draft, setDraft] = useState(value);
  const [shown, setShown] = useState(value);
  const zones = useMemo(allZones, []);
  const listId = useId();
  if (shown !== value) {
    // The URL changed under us (back button, link): show the zone in force.
    setShown(value);
    setDraft(value);
  }
  const valid = canonicalTimeZone(draft) !== null;
  return (
    <label>
      Time zone
      <input
        list={listId}
        value={draft}
        aria-invalid={!valid}
        onChange={(e) => {
          setDraft(e.target.value);
          const tz = canonicalTimeZone(e.target.value);
          if (tz) onChange(tz);
        }}
        data-testid="filter-tz"
      />
      <datalist id={listId}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
    </label>
  );
}
