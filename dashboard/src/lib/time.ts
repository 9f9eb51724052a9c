// All API times stay ISO UTC; these helpers only decide how an instant is shown in a zone.

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(tz: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(tz, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(ms: number, tz: string): WallTime {
  const out: Record<string, number> = {};
  for (const part of partsFormatter(tz).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    // Some engines still print midnight as 24 with h23.
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function isValidTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zone's canonical spelling ("europe/paris" -> "Europe/Paris"), or null when unknown. */
export function canonicalTimeZone(tz: string): string | null {
  if (!isValidTimeZone(tz)) return null;
  return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
}

export function toMs(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** "2026-11-27 14:05:12" in the zone: unambiguous and sortable, whatever the browser's locale. */
export function formatDateTime(value: string | number | null | undefined, tz: string): string {
  if (value === null || value === undefined) return '—';
  const ms = toMs(value);
  if (!Number.isFinite(ms)) return String(value);
  const w = wallTime(ms, tz);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** "14:05:12" in the zone. */
export function formatClock(value: string | number, tz: string): string {
  const ms = toMs(value);
  if (!Number.isFinite(ms)) return String(value);
  const w = wallTime(ms, tz);
  return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, tz: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const w = wallTime(whole, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
}

/** An instant as the value of an <input type="datetime-local"> in the zone ("2026-11-27T14:05"). */
export function toZonedInputValue(value: string | number, tz: string): string {
  const ms = toMs(value);
  if (!Number.isFinite(ms)) return '';
  const w = wallTime(ms, tz);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

const WALL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant a wall-clock time means in the zone (the inverse of toZonedInputValue). As Temporal's
 * "compatible" rule: a time repeated by a DST fall-back is the earlier instant, and a time skipped
 * by a spring-forward is read with the offset from before the change (so it lands after the gap).
 */
export function fromZonedInputValue(wall: string, tz: string): number | null {
  const m = WALL_RE.exec(wall);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const asUtc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  if (!Number.isFinite(asUtc)) return null;
  const DAY = 86_400_000;
  const before = zoneOffsetMs(asUtc - DAY, tz);
  const after = zoneOffsetMs(asUtc + DAY, tz);
  const valid = [asUtc - before, asUtc - after].filter((c) => zoneOffsetMs(c, tz) === asUtc - c);
  return valid.length > 0 ? Math.min(...valid) : asUtc - before;
}

/** ISO UTC with the milliseconds only when there are any ("2026-11-27T13:05:00Z"). */
export function isoUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Normalises an ISO string from a URL to ISO UTC; null when it is not a time. */
export function normaliseIso(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? isoUtc(ms) : null;
}
