import type { CatalogProperty, RollupState } from '../api/types';

/** A property a measure can sum: every value the catalog has seen is a JSON number. */
export function isNumeric(p: Pick<CatalogProperty, 'types'>): boolean {
  return p.types.length > 0 && p.types.every((t) => t === 'number');
}

export function observedTypes(properties: readonly CatalogProperty[] | undefined, name: string): string[] {
  return properties?.find((p) => p.name === name)?.types ?? [];
}

/** The names to offer, with `current` kept when the catalog does not list it (yet): a URL is never silently changed. */
export function propertyChoices(properties: readonly CatalogProperty[] | undefined, current: string, keep: (p: CatalogProperty) => boolean = () => true): string[] {
  const names = (properties ?? []).filter(keep).map((p) => p.name);
  return current !== '' && !names.includes(current) ? [current, ...names] : names;
}

export type RollupStatus = 'off' | 'backfilling' | 'active' | 'capped';

/**
 * Where a mark stands (the schema's rule: a rollup answers only once backfilled and while not capped).
 * Capped wins: past 1,000 values the aggregator stops writing it and queries read raw events.
 */
export function rollupStatus(state: RollupState | null | undefined): RollupStatus {
  if (!state) return 'off';
  if (state.capped_at !== null) return 'capped';
  if (state.backfilled_at === null) return 'backfilling';
  return 'active';
}

export const ROLLUP_STATUS_TEXT: Record<RollupStatus, string> = {
  off: 'off',
  backfilling: 'backfilling…',
  active: 'active',
  capped: 'capped: answered from raw events',
};
