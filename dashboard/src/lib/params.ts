// Small readers for URLSearchParams: a hand-edited or stale URL must never crash a page, so every
// reader falls back to a default instead of throwing.

export function readString(params: URLSearchParams, name: string): string {
  return (params.get(name) ?? '').trim();
}

/** "a, b,,a" -> ["a", "b"]: trimmed, no blanks, no repeats, at most `max`. */
export function readCsv(params: URLSearchParams, name: string, max = Infinity): string[] {
  const seen = new Set<string>();
  for (const part of (params.get(name) ?? '').split(',')) {
    const value = part.trim();
    if (value && !seen.has(value)) seen.add(value);
    if (seen.size >= max) break;
  }
  return [...seen];
}

export function readEnum<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const value = params.get(name);
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

export function readInt(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || !/^\d+$/.test(raw.trim())) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}

/** Writes entries in order, leaving out empty values so that URLs stay short. */
export function writeParams(entries: [string, string | number | null | undefined][]): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of entries) {
    if (value === null || value === undefined || value === '') continue;
    params.set(name, String(value));
  }
  return params;
}
