import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useAlerts, useIsAdmin } from '../api/queries';
import { AlertsFilterBar } from '../components/alerts/AlertsFilterBar';
import { AlertsTable } from '../components/alerts/AlertsTable';
import { EmptyView, QueryView } from '../components/StateViews';
import { filterRules, parseAlertListFilters, serialiseAlertListFilters, type AlertListFilters } from '../lib/alertsList';
import { browserTimeZone, formatClock } from '../lib/time';

export function AlertsPage() {
  const tz = useMemo(browserTimeZone, []);
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseAlertListFilters(params), [params]);
  const update = (patch: Partial<AlertListFilters>) => setParams(serialiseAlertListFilters({ ...filters, ...patch }), { replace: true });
  const alerts = useAlerts();
  const isAdmin = useIsAdmin();
  const canEdit = isAdmin === true;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
        <div className="actions">
          {alerts.dataUpdatedAt > 0 && <span className="muted small">refreshed {formatClock(alerts.dataUpdatedAt, tz)}</span>}
          {canEdit && (
            <Link to="/alerts/new" className="button-link" data-testid="alerts-new">
              New rule
            </Link>
          )}
        </div>
      </div>
      {isAdmin === false && (
        <p className="notice" data-testid="alerts-read-only">
          Read-only: creating, changing or silencing rules needs an admin key.
        </p>
      )}
      <QueryView
        query={alerts}
        loadingLabel="Loading alert rules…"
        isEmpty={(d) => d.rules.length === 0}
        empty={
          <EmptyView title="No alert rules yet">
            {canEdit && (
              <p>
                <Link to="/alerts/new">Create the first rule</Link> to be told when an event type spikes, drops or stops.
              </p>
            )}
          </EmptyView>
        }
      >
        {(d) => {
          const shown = filterRules(d.rules, filters);
          return (
            <>
              <AlertsFilterBar rules={d.rules} filters={filters} onChange={update} />
              {shown.length === 0 ? (
                <EmptyView title="No rules match these filters." />
              ) : (
                <AlertsTable rules={shown} tz={tz} canEdit={canEdit} />
              )}
            </>
          );
        }}
      </QueryView>
    </div>
  );
}
