import { describe, expect, it } from 'vitest';
import { formatChange, formatCompact, formatDuration, formatNumber, formatShare, prettyJson } from './format';

describe('formatNumber', () => {
  it('groups thousands', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(1234)).toBe('1,234');
    expect(formatNumber(1_234_567_890_123)).toBe('1,234,567,890,123');
  });

  it('keeps at most two decimals', () => {
    expect(formatNumber(2.345678)).toBe('2.35');
  });

  it('shows a dash for missing or non-finite values', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(undefined)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(Infinity)).toBe('—');
  });
});

describe('formatCompact', () => {
  it('abbreviates large numbers', () => {
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1_250_000)).toBe('1.3M');
    expect(formatCompact(3_000_000_000)).toBe('3B');
  });
});

describe('formatChange', () => {
  it('signs and rounds to one decimal', () => {
    expect(formatChange(23.44, 10)).toEqual({ text: '+23.4%', direction: 'up' });
    expect(formatChange(-5, 10)).toEqual({ text: '−5.0%', direction: 'down' });
  });

  it('calls tiny changes flat', () => {
    expect(formatChange(0, 10).direction).toBe('flat');
    expect(formatChange(-0.04, 10)).toEqual({ text: '0.0%', direction: 'flat' });
  });

  it('says "new" when the previous period was 0 (change_pct null) and there is data now', () => {
    expect(formatChange(null, 5)).toEqual({ text: 'new', direction: 'new' });
  });

  it('says nothing when both periods are 0', () => {
    expect(formatChange(null, 0)).toEqual({ text: '—', direction: 'none' });
  });

  it('drops decimals on huge changes', () => {
    expect(formatChange(123456.78, 10).text).toBe('+123,457%');
  });
});

describe('formatDuration', () => {
  it('covers each unit', () => {
    expect(formatDuration(0)).toBe('0.0 s');
    expect(formatDuration(2.14)).toBe('2.1 s');
    expect(formatDuration(9.96)).toBe('10 s');
    expect(formatDuration(59.6)).toBe('1 min');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(7380)).toBe('2 h 3 min');
    expect(formatDuration(93_600)).toBe('1 d 2 h');
  });

  it('treats negative lag (clock skew) as 0 and null as unknown', () => {
    expect(formatDuration(-3)).toBe('0.0 s');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('prettyJson', () => {
  it('indents objects and JSON text, and leaves other text alone', () => {
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"cut off')).toBe('{"cut off');
  });
});

describe('formatShare', () => {
  it('shows a percentage of the whole', () => {
    expect(formatShare(57_618, 89_887)).toBe('64.1%');
    expect(formatShare(30, 89_887)).toBe('<0.1%');
    expect(formatShare(0, 10)).toBe('0.0%');
    expect(formatShare(5, 0)).toBe('—');
  });
});
