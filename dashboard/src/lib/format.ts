const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const pctFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const bigPctFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const DASH = '—';
const MINUS = '−';

/** 1234567 -> "1,234,567"; fractions keep two decimals at most. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return Number.isInteger(n) ? integerFormat.format(n) : decimalFormat.format(n);
}

/** 1234567 -> "1.2M", for axes and tight spaces. */
export function formatCompact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  return compactFormat.format(n);
}

export type ChangeDirection = 'up' | 'down' | 'flat' | 'new' | 'none';

/**
 * The API sends `change_pct: null` when the previous period was 0: that is "new" when there is
 * something now and nothing to say otherwise.
 */
export function formatChange(pct: number | null, current: number): { text: string; direction: ChangeDirection } {
  if (pct === null || !Number.isFinite(pct)) {
    return current > 0 ? { text: 'new', direction: 'new' } : { text: DASH, direction: 'none' };
  }
  const magnitude = Math.abs(pct);
  const body = magnitude >= 1000 ? bigPctFormat.format(magnitude) : pctFormat.format(magnitude);
  if (body === '0.0' || body === '0') return { text: '0.0%', direction: 'flat' };
  return pct > 0 ? { text: `+${body}%`, direction: 'up' } : { text: `${MINUS}${body}%`, direction: 'down' };
}

/** A part of a whole as a percentage: "64.1%", "<0.1%" for a sliver that is not nothing. */
export function formatShare(part: number, whole: number): string {
  if (!(whole > 0) || !Number.isFinite(part)) return DASH;
  const pct = (100 * part) / whole;
  if (pct > 0 && pct < 0.1) return '<0.1%';
  return `${pctFormat.format(pct)}%`;
}

/** Seconds -> "0.4 s", "12 s", "3 min 5 s", "2 h 3 min", "1 d 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const s = Math.max(0, seconds);
  const tenths = Math.round(s * 10) / 10;
  if (tenths < 10) return `${tenths.toFixed(1)} s`;
  const total = Math.round(s);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const rest = total % 60;
    return rest ? `${Math.floor(total / 60)} min ${rest} s` : `${total / 60} min`;
  }
  if (total < 86400) {
    const minutes = Math.floor((total % 3600) / 60);
    return minutes ? `${Math.floor(total / 3600)} h ${minutes} min` : `${Math.floor(total / 3600)} h`;
  }
  const hours = Math.floor((total % 86400) / 3600);
  return hours ? `${Math.floor(total / 86400)} d ${hours} h` : `${Math.floor(total / 86400)} d`;
}

/** Pretty JSON for display; a string that is not JSON is shown as it is. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? '';
}
