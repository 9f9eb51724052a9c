import { describe, expect, it } from 'vitest';
import { readCsv, readEnum, readInt, writeParams } from './params';

const p = (qs: string) => new URLSearchParams(qs);

describe('params', () => {
  it('readCsv trims, dedupes and caps', () => {
    expect(readCsv(p('t=a,%20b,,a'), 't')).toEqual(['a', 'b']);
    expect(readCsv(p(''), 't')).toEqual([]);
    expect(readCsv(p('t=a,b,c'), 't', 2)).toEqual(['a', 'b']);
  });

  it('readEnum falls back on unknown values', () => {
    expect(readEnum(p('m=x'), 'm', ['a', 'b'] as const, 'a')).toBe('a');
    expect(readEnum(p('m=b'), 'm', ['a', 'b'] as const, 'a')).toBe('b');
  });

  it('readInt clamps and refuses non-digits', () => {
    expect(readInt(p('n=5'), 'n', 1, 1, 10)).toBe(5);
    expect(readInt(p('n=50'), 'n', 1, 1, 10)).toBe(10);
    expect(readInt(p('n=-5'), 'n', 3, 1, 10)).toBe(3);
    expect(readInt(p('n=2.5'), 'n', 3, 1, 10)).toBe(3);
  });

  it('writeParams skips empty values and keeps order', () => {
    expect(writeParams([['b', 1], ['a', ''], ['c', null], ['d', 'x']]).toString()).toBe('b=1&d=x');
  });
});
