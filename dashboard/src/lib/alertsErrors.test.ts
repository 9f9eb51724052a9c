import { describe, expect, it } from 'vitest';
import { placeError, ruleFieldError, rulePathOf, webhookPathOf } from './alertsErrors';

const apiError = (status: number, field: string | null, message = 'bad') => ({ status, field, message, code: 'invalid_value' });

describe('rulePathOf', () => {
  it('keeps the paths the form has', () => {
    expect(rulePathOf('condition.value')).toBe('condition.value');
    expect(rulePathOf('window_seconds')).toBe('window_seconds');
    expect(rulePathOf('condition.min_baseline')).toBe('condition.min_baseline');
  });

  it('folds list indexes and the bare condition', () => {
    expect(rulePathOf('channels')).toBe('channels');
    expect(rulePathOf('channels[2]')).toBe('channels');
    expect(rulePathOf('condition')).toBe('condition.kind');
  });

  it('folds every filter path to the filter editor, and keeps property', () => {
    expect(rulePathOf('filters')).toBe('filters');
    expect(rulePathOf('filters[1].value')).toBe('filters');
    expect(rulePathOf('filters[0].op')).toBe('filters');
    expect(rulePathOf('property')).toBe('property');
  });

  it('has nothing for other fields', () => {
    expect(rulePathOf(null)).toBeNull();
    expect(rulePathOf('')).toBeNull();
    expect(rulePathOf('silenced_until')).toBeNull();
    expect(rulePathOf('rule_id')).toBeNull();
  });
});

describe('ruleFieldError', () => {
  it('places a 400 or a 409 that names a form field', () => {
    expect(ruleFieldError(apiError(400, 'condition.value', 'must be > 0'))).toMatchObject({ path: 'condition.value', message: 'must be > 0' });
    expect(ruleFieldError(apiError(400, 'channels[0]'))).toMatchObject({ path: 'channels', message: 'bad' });
    expect(ruleFieldError(apiError(409, 'name', 'taken'))).toMatchObject({ path: 'name', message: 'taken' });
  });

  it('places a 422 about a filter with the field it names, for the row to be marked', () => {
    expect(ruleFieldError(apiError(422, 'filters[2].value', 'gt takes a number'))).toEqual({ path: 'filters', message: 'gt takes a number', field: 'filters[2].value' });
    expect(ruleFieldError(apiError(400, 'property', 'property is required with metric sum'))).toEqual({
      path: 'property',
      message: 'property is required with metric sum',
      field: 'property',
    });
  });

  it('leaves everything else to the page', () => {
    expect(ruleFieldError(apiError(400, null))).toBeNull();
    expect(ruleFieldError(apiError(400, 'unknown_thing'))).toBeNull();
    expect(ruleFieldError(apiError(404, 'rule_id'))).toBeNull();
    expect(ruleFieldError(apiError(503, 'name'))).toBeNull();
    expect(ruleFieldError(new Error('boom'))).toBeNull();
    expect(ruleFieldError(null)).toBeNull();
  });
});

describe('webhook fields', () => {
  it('places url errors', () => {
    expect(placeError(apiError(400, 'url', 'not https'), webhookPathOf)).toMatchObject({ path: 'url', message: 'not https' });
    expect(placeError(apiError(409, 'url', 'exists'), webhookPathOf)).toMatchObject({ path: 'url', message: 'exists' });
    expect(placeError(apiError(400, 'secret'), webhookPathOf)).toBeNull();
  });
});
