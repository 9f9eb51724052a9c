import { describe, expect, it } from 'vitest';
import { axisTimeLabels } from './chartTime';

const at = (iso: string) => Date.parse(iso);

describe('axisTimeLabels', () => {
  it('shows 24-hour clock times, with the ISO date under the first tick and at a new day', () => {
    const splits = ['2026-12-07T23:30:00Z', '2026-12-07T23:45:00Z', '2026-12-08T00:00:00Z'].map(at);
    expect(axisTimeLabels(splits, 15 * 60_000, 'UTC')).toEqual(['23:30\n2026-12-07', '23:45', '00:00\n2026-12-08']);
  });

  it('never uses am/pm or month/day/year', () => {
    const labels = axisTimeLabels([at('2026-12-07T14:34:00Z')], 60_000, 'UTC');
    expect(labels[0]).toBe('14:34\n2026-12-07');
    expect(labels[0]).not.toMatch(/pm|am|12\/7/i);
  });

  it('draws in the chosen zone', () => {
    expect(axisTimeLabels([at('2026-12-07T14:34:00Z')], 60_000, 'Asia/Kolkata')).toEqual(['20:04\n2026-12-07']);
  });

  it('shows dates alone for day ticks and seconds for sub-minute ticks', () => {
    expect(axisTimeLabels([at('2026-12-07T00:00:00Z')], 86_400_000, 'UTC')).toEqual(['2026-12-07']);
    expect(axisTimeLabels([at('2026-12-07T14:34:30Z')], 30_000, 'UTC')).toEqual(['14:34:30\n2026-12-07']);
  });
});
