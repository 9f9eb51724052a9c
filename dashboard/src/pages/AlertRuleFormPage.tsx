import { useMemo } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useAlertRule, useAllEventTypes, useCreateAlertRule, useIsAdmin, useReplaceAlertRule } from '../api/queries';
import type { RuleDetail } from '../api/types';
import { RuleForm } from '../components/alerts/RuleForm';
import { QueryView } from '../components/StateViews';
import { defaultRuleForm, ruleToForm } from '../lib/alertsForm';


function useTypeOptions(): string[] {
  const catalog = useAllEventTypes();
  return useMemo(() => (catalog.data?.event_types ?? []).map((t) => t.name), [catalog.data]);
}

function useOpenRule() {
  const navigate = useNavigate();
  return (rule: RuleDetail) => navigate(`/alerts/${encodeURIComponent(rule.id)}`);
}

function NewRule() {
  const [params] = useSearchParams();
  const create = useCreateAlertRule();
  const typeOptions = useTypeOptions();
  const onSaved = useOpenRule();
  // /alerts/new?event_type=checkout starts from that type (e.g. linked from the catalog).
  const initial = useMemo(() => ({ ...defaultRuleForm(), eventType: params.get('event_type') ?? '' }), [params]);
  return <RuleForm initial={initial} save={create} typeOptions={typeOptions} editing={false} onSaved={onSaved} />;
}

function EditRule({ ruleId }: { ruleId: string }) {
  const rule = useAlertRule(ruleId);
  const replace = useReplaceAlertRule(ruleId);
  const typeOptions = useTypeOptions();
  const onSaved = useOpenRule();
  return (
    <QueryView query={rule} loadingLabel="Loading the rule…">
      {(r) => <RuleForm key={r.id} initial={ruleToForm(r)} save={replace} typeOptions={typeOptions} editing onSaved={onSaved} />}
    </QueryView>
  );
}

/** /alerts/new and /alerts/:ruleId/edit. */
export function AlertRuleFormPage() {
  const { ruleId } = useParams();
  const isAdmin = useIsAdmin();
  const back = ruleId ? `/alerts/${encodeURIComponent(ruleId)}` : '/alerts';
  return (
    <div className="page">
      <p>
        <Link to={back}>← {ruleId ? 'Back to the rule' : 'Alerts'}</Link>
      </p>
      <div className="page-head">
        <h1>{ruleId ? 'Edit alert rule' : 'New alert rule'}</h1>
      </div>
      {isAdmin === false ? (
        <p className="notice" data-testid="rule-form-not-admin">
          Creating and editing rules needs an admin key.
        </p>
      ) : ruleId ? (
        <EditRule ruleId={ruleId} />
      ) : (
        <NewRule />
      )}
    </div>
  );
}
