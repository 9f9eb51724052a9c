import type { FilterOp, JsonScalar, PropertyFilter } from '../api/types';

/**
 * Property filters as the API takes them (the shared contract: eq, neq, in, contains, is_set,
 * is_not_set, gt, lt; at most 5, ANDed), and the editor's drafts of them. The editor keeps what the
 * user typed; only a draft that makes a whole filter reaches the URL and the API.
 */

export const MAX_FILTERS = 5;
export const MAX_PROPERTY_NAME = 255;

export const FILTER_OPS: readonly { value: FilterOp; label: string }[] = [
  { value: 'eq', label: 'equals' },
  { value: 'neq', label: 'does not equal' },
  { value: 'in', label: 'is one of' },
  { value: 'contains', label: 'contains' },
  { value: 'is_set', label: 'is set' },
  { value: 'is_not_set', label: 'is not set' },
  { value: 'gt', label: '>' },
  { value: 'lt', label: '<' },
];

const OP_VALUES = FILTER_OPS.map((o) => o.value);

/** The JSON type a typed value is read as. */
export type ValueType = 'string' | 'number' | 'boolean';
export const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'boolean'];

/** What the value input of an operator looks like. */
export type ValueInput = 'none' | 'typed' | 'list' | 'text' | 'number';

export function valueInputFor(op: FilterOp): ValueInput {
  switch (op) {
    case 'is_set':
    case 'is_not_set':
      return 'none';
    case 'eq':
    case 'neq':
      return 'typed';
    case 'in':
      return 'list';
    case 'contains':
      return 'text';
    case 'gt':
    case 'lt':
      return 'number';
  }
}

export interface FilterDraft {
  property: string;
  op: FilterOp;
  /** As typed; for `in`, values separated by commas. */
  text: string;
  valueType: ValueType;
}

/** The value type a property's observed types suggest: its only type when it has one, else text. */
export function defaultValueType(observed: readonly string[]): ValueType {
  if (observed.length === 1 && (observed[0] === 'number' || observed[0] === 'boolean')) return observed[0];
  return 'string';
}

export function emptyDraft(property = '', observed: readonly string[] = []): FilterDraft {
  return { property, op: 'eq', text: '', valueType: defaultValueType(observed) };
}

function scalarText(v: JsonScalar): string {
  return v === null ? '' : String(v);
}

function scalarType(v: JsonScalar | undefined): ValueType {
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

export function draftOf(filter: PropertyFilter): FilterDraft {
  const { property, op, value } = filter;
  if (Array.isArray(value)) return { property, op, text: value.map(scalarText).join(', '), valueType: scalarType(value[0]) };
  return { property, op, text: value === undefined ? '' : scalarText(value), valueType: scalarType(value) };
}

export type DraftResult = { filter: PropertyFilter } | { error: string };

function readScalar(raw: string, type: ValueType): JsonScalar | { error: string } {
  const text = raw.trim();
  if (type === 'number') {
    const n = text === '' ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : { error: `"${raw}" is not a number` };
  }
  if (type === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    return { error: 'pick true or false' };
  }
  return raw;
}

/** The filter a draft stands for, or why it is not one yet (in the words the editor shows). */
export function filterOf(draft: FilterDraft): DraftResult {
  const property = draft.property.trim();
  if (property === '') return { error: 'pick a property' };
  if (property.length > MAX_PROPERTY_NAME) return { error: `a property name has at most ${MAX_PROPERTY_NAME} characters` };
  const { op } = draft;
  switch (valueInputFor(op)) {
    case 'none':
      return { filter: { property, op } };
    case 'text':
      return draft.text === '' ? { error: 'type the text to look for' } : { filter: { property, op, value: draft.text } };
    case 'number': {
      const v = readScalar(draft.text, 'number');
      return typeof v === 'object' && v !== null ? v : { filter: { property, op, value: v } };
    }
    case 'typed': {
      if (draft.valueType === 'string' && draft.text === '') return { error: 'type a value' };
      const v = readScalar(draft.text, draft.valueType);
      return typeof v === 'object' && v !== null ? v : { filter: { property, op, value: v } };
    }
    case 'list': {
      const parts = draft.text.split(',').map((p) => p.trim()).filter((p) => p !== '');
      if (parts.length === 0) return { error: 'type one or more values, separated by commas' };
      const values: JsonScalar[] = [];
      for (const part of parts) {
        const v = readScalar(part, draft.valueType);
        if (typeof v === 'object' && v !== null) return v;
        values.push(v);
      }
      return { filter: { property, op, value: values } };
    }
  }
}

function isScalar(v: unknown): v is JsonScalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * A filter from its URL form (one `filter=` parameter, JSON), or null when it is not a whole filter:
 * a hand-edited URL drops the broken filter rather than breaking the page.
 */
export function parseFilter(raw: string): PropertyFilter | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const { property, op, value } = v as Record<string, unknown>;
  if (typeof property !== 'string' || property.trim() === '' || property.length > MAX_PROPERTY_NAME) return null;
  if (typeof op !== 'string' || !(OP_VALUES as readonly string[]).includes(op)) return null;
  let filter: PropertyFilter;
  if (value === undefined || isScalar(value)) filter = { property, op: op as FilterOp, ...(value === undefined ? {} : { value }) };
  else if (Array.isArray(value) && value.every(isScalar)) filter = { property, op: op as FilterOp, value };
  else return null;
  // Through the editor's own reading, so the URL accepts exactly what the editor can make.
  const draftResult = filterOf(draftOf(filter));
  return 'filter' in draftResult ? draftResult.filter : null;
}

/** The URL and API form: keys in one order, so equal filters give equal URLs. */
export function serialiseFilter(f: PropertyFilter): string {
  return JSON.stringify(f.value === undefined ? { property: f.property, op: f.op } : { property: f.property, op: f.op, value: f.value });
}

/** "plan equals pro", for titles and the chart's caption. */
export function describeFilter(f: PropertyFilter): string {
  const op = FILTER_OPS.find((o) => o.value === f.op)?.label ?? f.op;
  if (f.value === undefined) return `${f.property} ${op}`;
  const show = (v: JsonScalar) => (typeof v === 'string' ? `"${v}"` : String(v));
  const value = Array.isArray(f.value) ? f.value.map(show).join(', ') : show(f.value);
  return `${f.property} ${op} ${value}`;
}
