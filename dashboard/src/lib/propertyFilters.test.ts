import { describe, expect, it } from 'vitest';
import { defaultValueType, describeFilter, draftOf, emptyDraft, filterOf, parseFilter, serialiseFilter, valueInputFor, type FilterDraft } from './propertyFilters';

const draft = (patch: Partial<FilterDraft>): FilterDraft => ({ property: 'plan', op: 'eq', text: '', valueType: 'string', ...patch });

describe('editing a filter', () => {
  it('reads the value as the chosen type', () => {
    expect(filterOf(draft({ text: 'pro' }))).toEqual({ filter: { property: 'plan', op: 'eq', value: 'pro' } });
    expect(filterOf(draft({ text: '42', valueType: 'number' }))).toEqual({ filter: { property: 'plan', op: 'eq', value: 42 } });
    expect(filterOf(draft({ text: '42', valueType: 'string' }))).toEqual({ filter: { property: 'plan', op: 'eq', value: '42' } });
    expect(filterOf(draft({ op: 'neq', text: 'false', valueType: 'boolean' }))).toEqual({ filter: { property: 'plan', op: 'neq', value: false } });
  });

  it('keeps a string exactly as typed (spaces are part of a value)', () => {
    expect(filterOf(draft({ text: ' pro ' }))).toEqual({ filter: { property: 'plan', op: 'eq', value: ' pro ' } });
  });

  it('splits `in` on commas and types each value', () => {
    expect(filterOf(draft({ op: 'in', text: 'pro, team,,free ' }))).toEqual({ filter: { property: 'plan', op: 'in', value: ['pro', 'team', 'free'] } });
    expect(filterOf(draft({ op: 'in', text: '1, 2.5', valueType: 'number' }))).toEqual({ filter: { property: 'plan', op: 'in', value: [1, 2.5] } });
    expect(filterOf(draft({ op: 'in', text: '1, x', valueType: 'number' }))).toEqual({ error: '"x" is not a number' });
    expect(filterOf(draft({ op: 'in', text: ' , ' }))).toEqual({ error: 'type one or more values, separated by commas' });
  });

  it('takes no value for is_set / is_not_set, whatever is left in the box', () => {
    expect(filterOf(draft({ op: 'is_set', text: 'left over' }))).toEqual({ filter: { property: 'plan', op: 'is_set' } });
    expect(valueInputFor('is_not_set')).toBe('none');
  });

  it('takes a number for > and <, and text for contains', () => {
    expect(filterOf(draft({ op: 'gt', text: '-3.5' }))).toEqual({ filter: { property: 'plan', op: 'gt', value: -3.5 } });
    expect(filterOf(draft({ op: 'lt', text: '' }))).toEqual({ error: '"" is not a number' });
    expect(filterOf(draft({ op: 'contains', text: 'Pro' }))).toEqual({ filter: { property: 'plan', op: 'contains', value: 'Pro' } });
    expect(filterOf(draft({ op: 'contains', text: '' }))).toEqual({ error: 'type the text to look for' });
  });

  it('says why a draft is not a filter yet', () => {
    expect(filterOf(draft({ property: ' ' }))).toEqual({ error: 'pick a property' });
    expect(filterOf(draft({ text: '' }))).toEqual({ error: 'type a value' });
    expect(filterOf(draft({ text: 'yes', valueType: 'boolean' }))).toEqual({ error: 'pick true or false' });
    expect(filterOf(draft({ property: 'x'.repeat(256), text: 'a' }))).toEqual({ error: 'a property name has at most 255 characters' });
  });

  it("suggests the value type from the catalog's observed types", () => {
    expect(defaultValueType(['number'])).toBe('number');
    expect(defaultValueType(['boolean'])).toBe('boolean');
    expect(defaultValueType(['string', 'number'])).toBe('string');
    expect(emptyDraft('amount', ['number'])).toEqual({ property: 'amount', op: 'eq', text: '', valueType: 'number' });
  });

  it('turns every kind of filter back into the draft that makes it', () => {
    for (const f of [
      { property: 'plan', op: 'eq' as const, value: 'pro' },
      { property: 'n', op: 'neq' as const, value: 3 },
      { property: 'b', op: 'eq' as const, value: true },
      { property: 'c', op: 'in' as const, value: ['FR', 'DE'] },
      { property: 'c', op: 'in' as const, value: [1, 2] },
      { property: 'c', op: 'is_set' as const },
      { property: 'amount', op: 'lt' as const, value: 0.5 },
    ]) {
      expect(filterOf(draftOf(f))).toEqual({ filter: f });
    }
  });
});

describe('filters in the URL', () => {
  it('parses what the editor makes, and writes keys in one order', () => {
    expect(parseFilter('{"value":"pro","op":"eq","property":"plan"}')).toEqual({ property: 'plan', op: 'eq', value: 'pro' });
    expect(serialiseFilter({ op: 'eq', value: 'pro', property: 'plan' } as never)).toBe('{"property":"plan","op":"eq","value":"pro"}');
    expect(serialiseFilter({ property: 'x', op: 'is_set' })).toBe('{"property":"x","op":"is_set"}');
  });

  it('drops what is not a whole filter', () => {
    for (const raw of ['', 'nope', '[]', 'null', '{"property":"","op":"eq","value":"a"}', '{"property":"a","op":"like","value":"a"}',
      '{"property":"a","op":"gt","value":"ten"}', '{"property":"a","op":"in","value":[]}', '{"property":"a","op":"eq","value":{"x":1}}', '{"op":"is_set"}']) {
      expect(parseFilter(raw)).toBeNull();
    }
  });

  it('reads a filter in plain words', () => {
    expect(describeFilter({ property: 'plan', op: 'in', value: ['pro', 'team'] })).toBe('plan is one of "pro", "team"');
    expect(describeFilter({ property: 'amount', op: 'gt', value: 10 })).toBe('amount > 10');
    expect(describeFilter({ property: 'coupon', op: 'is_not_set' })).toBe('coupon is not set');
  });
});
