import type { CatalogStatus, DeadLetterStatusFilter } from '../api/types';
import { readEnum, readInt, readString, writeParams } from './params';

export const CATALOG_STATUSES: readonly CatalogStatus[] = ['planned', 'unplanned', 'blocked'];

export interface CatalogFilters {
  status: CatalogStatus | '';
  q: string;
}

export function parseCatalogFilters(params: URLSearchParams): CatalogFilters {
  return { status: readEnum<CatalogStatus | ''>(params, 'status', CATALOG_STATUSES, ''), q: readString(params, 'q') };
}

export function serialiseCatalogFilters(f: CatalogFilters): URLSearchParams {
  return writeParams([
    ['status', f.status],
    ['q', f.q],
  ]);
}

export const DEAD_LETTER_STATUSES: readonly DeadLetterStatusFilter[] = ['new', 'replayed', 'discarded', 'all'];

export interface DeadLetterFilters {
  reason: string;
  status: DeadLetterStatusFilter;
  limit: number;
}

export const DEAD_LETTERS_DEFAULT_LIMIT = 50;

export function parseDeadLetterFilters(params: URLSearchParams): DeadLetterFilters {
  return {
    reason: readString(params, 'reason'),
    status: readEnum(params, 'status', DEAD_LETTER_STATUSES, 'new'),
    limit: readInt(params, 'limit', DEAD_LETTERS_DEFAULT_LIMIT, 1, 200),
  };
}

export function serialiseDeadLetterFilters(f: DeadLetterFilters): URLSearchParams {
  return writeParams([
    ['status', f.status === 'new' ? '' : f.status],
    ['reason', f.reason],
    ['limit', f.limit === DEAD_LETTERS_DEFAULT_LIMIT ? '' : f.limit],
  ]);
}
