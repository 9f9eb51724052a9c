import { useSetRollup } from '../../api/insightQueries';
import type { CatalogProperty, RollupMarks, RollupState } from '../../api/types';
import { isNumeric, ROLLUP_STATUS_TEXT, rollupStatus } from '../../lib/catalogProperties';
import { InlineError } from '../InlineError';
import { Time } from '../Time';

function Status({ state, tz, testId }: { state: RollupState | null; tz: string; testId: string }) {
  const status = rollupStatus(state);
  if (!state || status === 'off') return null;
  const since = status === 'capped' ? state.capped_at : status === 'active' ? state.backfilled_at : state.active_from;
  return (
    <span className={`muted small rollup-${status}`} data-testid={testId} data-status={status}>
      {ROLLUP_STATUS_TEXT[status]}
      {since && (
        <>
          {' '}since <Time value={since} tz={tz} />
        </>
      )}
    </span>
  );
}

/**
 * A property's rollup marks: pre-aggregate it as a breakdown dimension, and (numbers only) as a measure.
 * Each box sends both marks, as the PUT takes them; the caps' 422s show under the row.
 */
export function RollupToggles({ typeName, property, tz, canEdit }: { typeName: string; property: CatalogProperty; tz: string; canEdit: boolean }) {
  const setRollup = useSetRollup(typeName);
  const rollup = property.rollup;
  if (!rollup) return <td colSpan={2} className="muted small">—</td>;
  const saved: RollupMarks = { dimension: rollup.dimension !== null, measure: rollup.measure !== null };
  const busy = setRollup.isPending;
  // While the PUT is on its way the boxes show what was asked, not the state before it.
  const marks = busy ? setRollup.variables.marks : saved;
  const numeric = isNumeric(property);
  const put = (patch: Partial<RollupMarks>) => setRollup.mutate({ property: property.name, marks: { ...saved, ...patch } });
  return (
    <>
      <td>
        <label className="checkbox small">
          <input type="checkbox" checked={marks.dimension} disabled={!canEdit || busy} onChange={(e) => put({ dimension: e.target.checked })} data-testid="rollup-dimension" />
          Breakdown dimension
        </label>
        <Status state={rollup.dimension} tz={tz} testId="rollup-dimension-status" />
      </td>
      <td>
        <label className="checkbox small" title={numeric ? undefined : 'only a property whose values are all numbers can be a measure'}>
          <input
            type="checkbox"
            checked={marks.measure}
            disabled={!canEdit || busy || (!numeric && !marks.measure)}
            onChange={(e) => put({ measure: e.target.checked })}
            data-testid="rollup-measure"
          />
          Measure
        </label>
        <Status state={rollup.measure} tz={tz} testId="rollup-measure-status" />
        {setRollup.isError && <InlineError error={setRollup.error} action="Changing the rollup" />}
      </td>
    </>
  );
}
