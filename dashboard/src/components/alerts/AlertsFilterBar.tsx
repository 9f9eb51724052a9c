import { useState } from 'react';
import type { AlertRule, AlertSeverity } from '../../api/types';
import { useDebouncedCallback } from '../../hooks/useDebouncedCallback';
import { ALERT_STATES, SEVERITIES } from '../../lib/alerts';
import { countByState, type AlertListFilters } from '../../lib/alertsList';

/** State chips with counts, severity, and a name search; all kept in the URL by the page. */
export function AlertsFilterBar({ rules, filters, onChange }: {
  rules: AlertRule[];
  filters: AlertListFilters;
  onChange: (patch: Partial<AlertListFilters>) => void;
}) {
  const counts = countByState(rules);
  const [search, setSearch] = useState(filters.q);
  const [shownQ, setShownQ] = useState(filters.q);
  if (shownQ !== filters.q) {
    // The URL changed from outside the box (back button): show what is in force.
    setShownQ(filters.q);
    setSearch(filters.q);
  }
  const pushQ = useDebouncedCallback((q: string) => {
    setShownQ(q.trim());
    onChange({ q: q.trim() });
  }, 250);

  return (
    <div className="filters card">
      <div className="chips" data-testid="alerts-state-filter">
        <button type="button" className={`chip-button${filters.state === '' ? ' active' : ''}`} onClick={() => onChange({ state: '' })}>
          all states <strong>{rules.length}</strong>
        </button>
        {ALERT_STATES.map((s) => (
          <button
            key={s}
            type="button"
            className={`chip-button${filters.state === s ? ' active' : ''}`}
            aria-pressed={filters.state === s}
            onClick={() => onChange({ state: filters.state === s ? '' : s })}
            data-testid="alerts-state-chip"
            data-state={s}
          >
            {s} <strong>{counts[s]}</strong>
          </button>
        ))}
      </div>
      <div className="filter-row">
        <label>
          Severity
          <select value={filters.severity} onChange={(e) => onChange({ severity: e.target.value as AlertSeverity | '' })} data-testid="alerts-severity">
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name or event type contains
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              pushQ(e.target.value);
            }}
            placeholder="search…"
            data-testid="alerts-search"
          />
        </label>
      </div>
    </div>
  );
}
