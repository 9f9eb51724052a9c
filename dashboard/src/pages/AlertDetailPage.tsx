import { useMemo } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useAlertHistory, useAlertRule, useIsAdmin } from '../api/queries';
import type { RuleDetail } from '../api/types';
import { DeleteRuleButton } from '../components/alerts/DeleteRuleButton';
import { EnabledToggle } from '../components/alerts/EnabledToggle';
import { HistoryTable } from '../components/alerts/HistoryTable';
import { RuleChart } from '../components/alerts/RuleChart';
import { RuleFacts } from '../components/alerts/RuleFacts';
import { SilenceControls } from '../components/alerts/SilenceControls';
import { Pager } from '../components/Pager';
import { EmptyView, QueryView } from '../components/StateViews';
import { StatusBadge } from '../components/StatusBadge';
import { Time } from '../components/Time';
import { useCursorPager } from '../hooks/useCursorPager';
import { useEndpointLabel } from '../hooks/useEndpointLabel';
import { ALERTS_REFRESH_MS } from '../lib/alerts';
import { browserTimeZone } from '../lib/time';

function Controls({ rule, tz }: { rule: RuleDetail; tz: string }) {
  const navigate = useNavigate();
  return (
    <section className="card actions" data-testid="alert-detail-controls">
      <EnabledToggle ruleId={rule.id} enabled={rule.enabled} canEdit />
      <SilenceControls ruleId={rule.id} silencedUntil={rule.silenced_until} tz={tz} canEdit />
      <Link to={`/alerts/${encodeURIComponent(rule.id)}/edit`} className="button-link" data-testid="alert-edit">
        Edit
      </Link>
      <DeleteRuleButton ruleId={rule.id} name={rule.name} onDeleted={() => navigate('/alerts', { replace: true })} />
    </section>
  );
}

function History({ ruleId, tz }: { ruleId: string; tz: string }) {
  const pager = useCursorPager();
  const history = useAlertHistory(ruleId, pager.cursor);
  const loading = history.isPlaceholderData || history.isFetching;
  return (
    <section className="card">
      <h2>History</h2>
      <QueryView
        query={history}
        loadingLabel="Loading history…"
        isEmpty={(d) => d.history.length === 0 && pager.page === 1}
        empty={<EmptyView title="No transitions yet: the rule has not changed state since it was created." />}
      >
        {(d) => (
          <>
            <HistoryTable entries={d.history} tz={tz} loading={loading} />
            <Pager
              page={pager.page}
              hasNext={!history.isPlaceholderData && d.next_cursor !== null}
              busy={loading}
              onPrev={pager.prev}
              onNext={() => d.next_cursor && pager.next(d.next_cursor)}
              prevTestId="history-prev"
              nextTestId="history-next"
            />
          </>
        )}
      </QueryView>
    </section>
  );
}

export function AlertDetailPage() {
  const tz = useMemo(browserTimeZone, []);
  const { ruleId = '' } = useParams();
  const rule = useAlertRule(ruleId, ALERTS_REFRESH_MS);
  const isAdmin = useIsAdmin();
  const endpointLabel = useEndpointLabel();

  return (
    <div className="page">
      <p>
        <Link to="/alerts">← Alerts</Link>
      </p>
      <QueryView query={rule} loadingLabel="Loading the rule…">
        {(r) => (
          <div className="page" data-testid="alert-detail">
            <div className="page-head">
              <h1>{r.name}</h1>
              <div className="actions">
                <StatusBadge value={r.status.state} testId="alert-state" />
                <span className="muted" title="when the change was recorded">
                  since <Time value={r.status.since} tz={tz} />
                </span>
              </div>
            </div>
            {isAdmin === true && <Controls rule={r} tz={tz} />}
            <RuleChart rule={r} tz={tz} />
            <section className="card">
              <RuleFacts rule={r} tz={tz} endpointLabel={endpointLabel} />
            </section>
            <History ruleId={r.id} tz={tz} />
          </div>
        )}
      </QueryView>
    </div>
  );
}
