import { describe, expect, test, vi } from 'vitest';

// a 2-core machine whose 1-minute load average each test sets
const machine = vi.hoisted(() => ({ load: 0 }));
vi.mock('node:os', () => ({ cpus: () => [{}, {}], loadavg: () => [machine.load, 0, 0] }));

vi.resetModules(); // the setup file already imported the module with the real node:os
const { MAX_LOAD_SCALE, testTimeScale } = await import('./timeScale');

describe('testTimeScale', () => {
  test('is the load per core, clamped to [1, 10], when nothing overrides it', () => {
    const scales = [0, 2, 7, 19, 400].map((load) => {
      machine.load = load;
      return testTimeScale({});
    });
    expect(scales).toEqual([1, 1, 3.5, 9.5, MAX_LOAD_SCALE]);
    expect(MAX_LOAD_SCALE).toBe(10);
  });

  test('CS_TEST_TIME_SCALE wins over the load, unclamped', () => {
    machine.load = 30;
    expect(testTimeScale({ CS_TEST_TIME_SCALE: '0.5' })).toBe(0.5);
    expect(testTimeScale({ CS_TEST_TIME_SCALE: '25' })).toBe(25);
  });

  test('a nonsense override is refused, naming the variable', () => {
    for (const value of ['0', '-1', 'fast']) {
      expect(() => testTimeScale({ CS_TEST_TIME_SCALE: value })).toThrow(/CS_TEST_TIME_SCALE/);
    }
  });
});
