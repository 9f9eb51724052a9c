import { describe, expect, it } from 'vitest';
import type { AlertRule, RuleDetail } from '../api/types';
import { DETAILS, R1 } from '../test/alertFixtures';
import { countByState, filterRules, listItemOf, parseAlertListFilters, serialiseAlertListFilters } from './alertsList';

const rule = (patch: Partial<AlertRule>): AlertRule => ({ ...listItemOf(DETAILS[R1] as RuleDetail), severity: 'warning', state: 'OK', ...patch });

describe('alert list filters in the URL', () => {
  it('defaults to everything and ignores unknown values', () => {
    expect(parseAlertListFilters(new URLSearchParams(''))).toEqual({ state: '', severity: '', q: '' });
    expect(parseAlertListFilters(new URLSearchParams('state=BURNING&severity=meh'))).toEqual({ state: '', severity: '', q: '' });
  });

  it('round-trips and writes short URLs', () => {
    const f = parseAlertListFilters(new URLSearchParams('state=FIRING&severity=critical&q=%20pay%20'));
    expect(f).toEqual({ state: 'FIRING', severity: 'critical', q: 'pay' });
    expect(serialiseAlertListFilters(f).toString()).toBe('state=FIRING&severity=critical&q=pay');
    expect(serialiseAlertListFilters({ state: '', severity: '', q: ' ' }).toString()).toBe('');
  });
});

describe('filterRules', () => {
  const rules = [
    rule({ id: '1', name: 'Checkout spike', state: 'FIRING', severity: 'critical' }),
    rule({ id: '2', name: 'Signups gone', event_type: 'signup', state: 'OK' }),
    rule({ id: '3', name: 'Payments', event_type: 'payment_failed', state: 'FIRING' }),
  ];

  it('filters by state, severity and a name or event type substring', () => {
    expect(filterRules(rules, { state: 'FIRING', severity: '', q: '' }).map((r) => r.id)).toEqual(['1', '3']);
    expect(filterRules(rules, { state: 'FIRING', severity: 'critical', q: '' }).map((r) => r.id)).toEqual(['1']);
    expect(filterRules(rules, { state: '', severity: '', q: 'SIGNUP' }).map((r) => r.id)).toEqual(['2']);
    expect(filterRules(rules, { state: '', severity: '', q: 'failed' }).map((r) => r.id)).toEqual(['3']);
  });

  it('counts rules per state', () => {
    expect(countByState(rules)).toEqual({ OK: 1, PENDING: 0, FIRING: 2, RESOLVED: 0, NODATA: 0 });
  });
});
