import type { AlertRule, AlertSeverity, AlertState, RuleDetail } from '../api/types';
import { ALERT_STATES, SEVERITIES } from './alerts';
import { readEnum, readString, writeParams } from './params';

/** The rule list's filters, in the URL: `?state=FIRING&severity=critical&q=checkout`. */
export interface AlertListFilters {
  state: AlertState | '';
  severity: AlertSeverity | '';
  q: string;
}

export function parseAlertListFilters(params: URLSearchParams): AlertListFilters {
  return {
    state: readEnum<AlertState | ''>(params, 'state', ALERT_STATES, ''),
    severity: readEnum<AlertSeverity | ''>(params, 'severity', SEVERITIES, ''),
    q: readString(params, 'q'),
  };
}

export function serialiseAlertListFilters(f: AlertListFilters): URLSearchParams {
  return writeParams([
    ['state', f.state],
    ['severity', f.severity],
    ['q', f.q.trim()],
  ]);
}

/** The list is small (one tenant's rules), so it is filtered here rather than by the API. */
export function filterRules(rules: readonly AlertRule[], f: AlertListFilters): AlertRule[] {
  const q = f.q.trim().toLowerCase();
  return rules.filter(
    (r) =>
      (f.state === '' || r.state === f.state) &&
      (f.severity === '' || r.severity === f.severity) &&
      (q === '' || r.name.toLowerCase().includes(q) || r.event_type.toLowerCase().includes(q)),
  );
}

/** Rules per state, for the chips above the list. */
export function countByState(rules: readonly AlertRule[]): Record<AlertState, number> {
  const counts: Record<AlertState, number> = { OK: 0, PENDING: 0, FIRING: 0, RESOLVED: 0, NODATA: 0 };
  for (const r of rules) if (r.state in counts) counts[r.state] += 1;
  return counts;
}

/** A rule's list item from its own answer (a save's, say): the same rule with its summary fields flat, as GET /v1/alerts lists it. */
export function listItemOf(rule: RuleDetail): AlertRule {
  return { ...rule, condition_kind: rule.condition.kind, state: rule.status.state, since: rule.status.since };
}
