import { useSummary } from '../api/queries';
import type { RangeSpec } from '../lib/range';
import { Freshness } from './Freshness';

const LAST_HOUR: RangeSpec = { kind: 'preset', preset: '1h' };
const REFRESH_MS = 15_000;

/**
 * How complete the tenant's data is, for pages whose own answers do not say (the explorer, the
 * catalog): the watermark is per tenant, so the smallest summary request carries it.
 */
export function TenantFreshness({ tz }: { tz: string }) {
  const summary = useSummary(LAST_HOUR, 1, REFRESH_MS);
  return <Freshness freshness={summary.data?.freshness} tz={tz} fetching={summary.isFetching} updatedAt={summary.dataUpdatedAt || undefined} />;
}
