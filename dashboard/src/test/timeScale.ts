// The factor every test timeout is multiplied by, by the rule of the Python suite (tests/support/waits.py):
// CS_TEST_TIME_SCALE when set, else the 1-minute load average per core, clamped to [1, 10]. A timeout in a
// test is a bound for a broken page, never a measurement, and a busy machine renders everything slower.
import { cpus, loadavg } from 'node:os';

export const MAX_LOAD_SCALE = 10;

export function testTimeScale(env: Record<string, string | undefined> = process.env): number {
  const override = env.CS_TEST_TIME_SCALE?.trim();
  if (override) {
    const value = Number(override);
    if (!(value > 0)) throw new Error(`CS_TEST_TIME_SCALE must be a positive number, got "${override}"`);
    return value;
  }
  const perCore = (loadavg()[0] ?? 0) / Math.max(1, cpus().length);
  return Math.min(MAX_LOAD_SCALE, Math.max(1, perCore));
}
