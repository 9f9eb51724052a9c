// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import type { SummaryResponse } from '../../api/types';
import { SummaryCards } from './SummaryCards';

const base: SummaryResponse = {
  from: '2026-12-06T12:00:00Z',
  to: '2026-12-07T12:00:00Z',
  previous_from: '2026-12-05T12:00:00Z',
  previous_to: '2026-12-06T12:00:00Z',
  total: 1200,
  previous_total: 1000,
  change_pct: 20,
  event_types_seen: 4,
  unique_users_in_range: 87,
  top_types: [],
  freshness: { complete_up_to: '2026-12-07T11:59:58Z', lag_seconds: 2 },
};

afterEach(cleanup);

describe('the unique-users stat', () => {
  test('shows an exact count as it is', () => {
    render(<SummaryCards summary={base} />);
    const stat = screen.getByTestId('overview-unique-users');
    expect(stat.textContent).toBe('87');
    expect(stat.getAttribute('title')).toContain('exact up to 320');
  });

  test('marks an estimate past the exact threshold as approximate', () => {
    render(<SummaryCards summary={{ ...base, unique_users_in_range: 12_345 }} />);
    expect(screen.getByTestId('overview-unique-users').textContent).toMatch(/^≈ 12.345$/);
  });
});
