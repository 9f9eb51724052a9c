/**
 * Where the API's 400s about a rule body land in the form. The API names the first offending field
 * as a body path ("condition.value", "channels[2]"); the form shows the message under that field.
 */
export const RULE_PATHS = [
  'name',
  'description',
  'event_type',
  'metric',
  'property',
  'filters',
  'window_seconds',
  'condition.kind',
  'condition.operator',
  'condition.direction',
  'condition.mode',
  'condition.value',
  'condition.weeks',
  'condition.sensitivity',
  'condition.min_baseline',
  'pending_evaluations',
  'repeat_interval_seconds',
  'notify_on_resolve',
  'severity',
  'channels',
] as const;

export type RulePath = (typeof RULE_PATHS)[number];

/**
 * "channels[2]" -> "channels", "condition" -> "condition.kind", "filters[1].value" -> "filters" (the
 * filter editor marks the row itself); null for paths the form has no field for.
 */
export function rulePathOf(field: string | null | undefined): RulePath | null {
  if (!field) return null;
  const path = field.trim().replace(/\[\d*\]/g, '');
  const normalised = path === 'condition' ? 'condition.kind' : path.startsWith('filters.') ? 'filters' : path;
  return (RULE_PATHS as readonly string[]).includes(normalised) ? (normalised as RulePath) : null;
}

/** Enough of an ApiError to place it (kept structural so that this module stays pure). */
export interface FieldedError {
  status: number;
  field: string | null;
  message: string;
}

function isFieldedError(error: unknown): error is FieldedError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Partial<FieldedError>;
  return typeof e.status === 'number' && typeof e.message === 'string' && (e.field === null || typeof e.field === 'string');
}

/**
 * A refusal that belongs next to one field: a 400 or 422 (bad value) or a 409 (a name already taken) naming a
 * field the form has. Anything else (auth, 404, 503, a field the form lacks) is for the page's error view.
 */
export function placeError<P extends string>(
  error: unknown,
  place: (field: string | null) => P | null,
): { path: P; message: string; field: string | null } | null {
  // 422: a property filter the API could not use (the trend route's contract, shared by rules).
  if (!isFieldedError(error) || (error.status !== 400 && error.status !== 409 && error.status !== 422)) return null;
  const path = place(error.field);
  return path === null ? null : { path, message: error.message, field: error.field };
}

export function ruleFieldError(error: unknown): { path: RulePath; message: string; field: string | null } | null {
  return placeError(error, rulePathOf);
}

/** The webhook form's fields the API can name. */
export function webhookPathOf(field: string | null): 'url' | 'description' | null {
  return field === 'url' || field === 'description' ? field : null;
}
