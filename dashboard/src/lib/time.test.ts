import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  formatClock,
  formatDateTime,
  fromZonedInputValue,
  isValidTimeZone,
  isoUtc,
  normaliseIso,
  toZonedInputValue,
  zoneOffsetMs,
} from './time';

const T = Date.parse('2026-11-27T13:05:12Z');

describe('display in a zone', () => {
  it('formats in the given zone', () => {
    expect(formatDateTime(T, 'UTC')).toBe('2026-11-27 13:05:12');
    expect(formatDateTime('2026-11-27T13:05:12Z', 'Europe/Paris')).toBe('2026-11-27 14:05:12');
    expect(formatClock(T, 'Asia/Kolkata')).toBe('18:35:12');
  });

  it('shows midnight as 00, never 24', () => {
    expect(formatClock('2026-11-27T00:00:00Z', 'UTC')).toBe('00:00:00');
  });

  it('passes through what is not a time', () => {
    expect(formatDateTime(null, 'UTC')).toBe('—');
    expect(formatDateTime('soon', 'UTC')).toBe('soon');
  });
});

describe('zones', () => {
  it('validates and canonicalises', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('nope')).toBeNull();
  });

  it('knows the offset on both sides of a DST change', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Paris')).toBe(3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Paris')).toBe(7_200_000);
    expect(zoneOffsetMs(T, 'America/New_York')).toBe(-5 * 3_600_000);
  });
});

describe('datetime-local round trip', () => {
  it('reads wall time in the zone', () => {
    expect(fromZonedInputValue('2026-11-27T14:05', 'Europe/Paris')).toBe(Date.parse('2026-11-27T13:05:00Z'));
    expect(toZonedInputValue('2026-11-27T13:05:00Z', 'Europe/Paris')).toBe('2026-11-27T14:05');
  });

  it('takes the earlier instant of a repeated hour (fall back)', () => {
    // 02:30 happens twice in Paris on 2026-10-25: at 00:30Z (CEST) and 01:30Z (CET).
    expect(fromZonedInputValue('2026-10-25T02:30', 'Europe/Paris')).toBe(Date.parse('2026-10-25T00:30:00Z'));
  });

  it('moves a skipped time past the gap (spring forward)', () => {
    // 02:30 does not exist in Paris on 2026-03-29; read with +01:00 it is 01:30Z = 03:30 CEST.
    expect(fromZonedInputValue('2026-03-29T02:30', 'Europe/Paris')).toBe(Date.parse('2026-03-29T01:30:00Z'));
  });

  it('refuses what is not a wall time', () => {
    expect(fromZonedInputValue('', 'UTC')).toBeNull();
    expect(fromZonedInputValue('2026-11-27', 'UTC')).toBeNull();
  });
});

describe('ISO helpers', () => {
  it('drops zero milliseconds only', () => {
    expect(isoUtc(T)).toBe('2026-11-27T13:05:12Z');
    expect(isoUtc(T + 345)).toBe('2026-11-27T13:05:12.345Z');
  });

  it('normalises offsets to UTC and rejects garbage', () => {
    expect(normaliseIso('2026-11-27T14:05:12+01:00')).toBe('2026-11-27T13:05:12Z');
    expect(normaliseIso('yesterday')).toBeNull();
    expect(normaliseIso(null)).toBeNull();
  });
});
