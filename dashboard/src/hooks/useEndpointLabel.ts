import { useMemo } from 'react';
import { useIsAdmin, useWebhooks } from '../api/queries';

/**
 * How to name a webhook endpoint id: its URL when the key may list endpoints (admin), else a short
 * id (a read key gets a 403 from GET /v1/webhooks, so it is not asked).
 */
export function useEndpointLabel(): (id: string) => string {
  const isAdmin = useIsAdmin();
  const webhooks = useWebhooks(isAdmin === true);
  return useMemo(() => {
    const urls = new Map((webhooks.data?.endpoints ?? []).map((e) => [e.id, e.url]));
    return (id: string) => urls.get(id) ?? `endpoint ${id.slice(0, 8)}…`;
  }, [webhooks.data]);
}
