import { RANGE_PRESETS, resolveRange, type RangePreset, type RangeSpec } from '../lib/range';
import { fromZonedInputValue, isoUtc, toZonedInputValue } from '../lib/time';

/** A preset, or a custom from/to typed as wall-clock time in `tz` and kept as ISO UTC. */
export function RangePicker({ value, onChange, tz, testId = 'filter-range' }: {
  value: RangeSpec;
  onChange: (next: RangeSpec) => void;
  tz: string;
  testId?: string;
}) {
  const selected = value.kind === 'preset' ? value.preset : 'custom';

  const choose = (choice: string) => {
    if (choice !== 'custom') return onChange({ kind: 'preset', preset: choice as RangePreset });
    // Start the custom range from what is on screen, so switching changes nothing until edited.
    const { from, to } = resolveRange(value, Date.now());
    onChange({ kind: 'custom', from, to });
  };

  const edit = (end: 'from' | 'to', wall: string) => {
    if (value.kind !== 'custom') return;
    const ms = fromZonedInputValue(wall, tz);
    if (ms !== null) onChange({ ...value, [end]: isoUtc(ms) });
  };

  return (
    <div className="range-picker">
      <label>
        Range
        <select value={selected} onChange={(e) => choose(e.target.value)} data-testid={testId}>
          {RANGE_PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {value.kind === 'custom' && (
        <>
          <label>
            From ({tz})
            <input type="datetime-local" value={toZonedInputValue(value.from, tz)} onChange={(e) => edit('from', e.target.value)} data-testid={`${testId}-from`} />
          </label>
          <label>
            To ({tz})
            <input type="datetime-local" value={toZonedInputValue(value.to, tz)} onChange={(e) => edit('to', e.target.value)} data-testid={`${testId}-to`} />
          </label>
        </>
      )}
    </div>
  );
}
