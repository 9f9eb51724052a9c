import type { CatalogPatch, CatalogStatus } from '../api/types';

export interface CatalogDraft {
  description: string;
  owner: string;
  status: CatalogStatus;
}

/**
 * Only the fields that changed are sent, so two people editing different fields do not undo each
 * other. An empty owner box means "no owner" (null), as the API models it.
 */
export function changedFields(item: { description: string; owner: string | null; status: CatalogStatus }, draft: CatalogDraft): CatalogPatch {
  const patch: CatalogPatch = {};
  if (draft.description !== item.description) patch.description = draft.description;
  const owner = draft.owner.trim() === '' ? null : draft.owner.trim();
  if (owner !== item.owner) patch.owner = owner;
  if (draft.status !== item.status) patch.status = draft.status;
  return patch;
}
