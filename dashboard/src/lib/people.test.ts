import { describe, expect, it } from 'vitest';
import { parsePersonRef, personPath, shareOf } from './people';

describe('a person link', () => {
  it('names a user or an anonymous id, escaped, and reads back', () => {
    expect(personPath({ userId: 'a b&c' })).toBe('/people?user_id=a+b%26c');
    expect(personPath({ anonymousId: 'anon-1' })).toBe('/people?anonymous_id=anon-1');
    expect(parsePersonRef(new URLSearchParams('user_id=a+b%26c'))).toEqual({ userId: 'a b&c' });
    expect(parsePersonRef(new URLSearchParams('anonymous_id=x'))).toEqual({ anonymousId: 'x' });
    expect(parsePersonRef(new URLSearchParams(''))).toBeNull();
  });

  it('draws a share bar for every type, however small', () => {
    expect(shareOf(1, 1000)).toBe(1);
    expect(shareOf(500, 1000)).toBe(50);
    expect(shareOf(0, 10)).toBe(0);
    expect(shareOf(3, 0)).toBe(0);
  });
});
