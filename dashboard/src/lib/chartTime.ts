import { formatDateTime } from './time';

const DAY_MS = 86_400_000;

/**
 * Labels for a time axis in the one format the dashboard uses everywhere ("2026-12-07 14:36:44"),
 * cut to what the tick spacing needs: the date alone for ticks a day or more apart, else the clock
 * ("14:36", seconds when ticks are under a minute apart) with the date under the first tick and under
 * every tick that starts a new day.
 */
export function axisTimeLabels(splits: readonly number[], incrMs: number, tz: string): string[] {
  let previousDate = '';
  return splits.map((ms) => {
    const full = formatDateTime(ms, tz); // "YYYY-MM-DD HH:MM:SS"
    const date = full.slice(0, 10);
    if (incrMs >= DAY_MS) return date;
    const clock = incrMs < 60_000 ? full.slice(11, 19) : full.slice(11, 16);
    const label = date !== previousDate ? `${clock}\n${date}` : clock;
    previousDate = date;
    return label;
  });
}
