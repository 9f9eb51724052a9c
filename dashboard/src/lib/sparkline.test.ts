import { describe, expect, it } from 'vitest';
import { sparklineParts, sparklinePoints } from './sparkline';

describe('sparklinePoints', () => {
  it('is empty without values', () => {
    expect(sparklinePoints([], 100, 20)).toBe('');
  });

  it('scales from zero to the maximum', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20, 0)).toBe('0,20 50,10 100,0');
  });

  it('draws a flat line at the bottom when everything is zero', () => {
    expect(sparklinePoints([0, 0], 10, 10, 0)).toBe('0,10 10,10');
  });

  it('draws one value as a horizontal line', () => {
    expect(sparklinePoints([7], 10, 10, 0)).toBe('0,0 10,0');
  });

  it('copes with huge counts', () => {
    expect(sparklinePoints([1e12, 5e11], 10, 10, 0)).toBe('0,0 10,5');
  });
});

describe('sparklineParts', () => {
  it('draws the filling bucket dotted, joined to the last complete point', () => {
    expect(sparklineParts([0, 5, 10], 2, 100, 20, 0)).toEqual({ complete: '0,20 50,10', partial: '50,10 100,0' });
  });

  it('is all solid when every bucket is complete', () => {
    expect(sparklineParts([0, 5, 10], 3, 100, 20, 0)).toEqual({ complete: '0,20 50,10 100,0', partial: '' });
  });

  it('is all dotted when no bucket is complete', () => {
    expect(sparklineParts([0, 10], 0, 100, 20, 0)).toEqual({ complete: '', partial: '0,20 100,0' });
  });
});
