import { useMemo } from 'react';
import { browserTimeZone } from '../lib/time';
import { zoneChoices } from '../lib/zones';

/** A list, not free text: only a zone the browser knows can be chosen. */
export function TimeZonePicker({ value, onChange }: { value: string; onChange: (tz: string) => void }) {
  const browserZone = useMemo(browserTimeZone, []);
  const choices = useMemo(() => zoneChoices(value, browserZone), [value, browserZone]);
  return (
    <label>
      Time zone
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="filter-tz">
        {choices.map((group) => (
          <optgroup key={group.label} label={group.label}>
            {group.zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}
