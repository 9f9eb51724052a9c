import { useState } from 'react';
import { usePatchAlertRule } from '../../api/queries';
import { isSilenced, SILENCE_PRESETS, silenceFor } from '../../lib/alerts';
import { fromZonedInputValue, isoUtc, toZonedInputValue } from '../../lib/time';
import { InlineError } from '../InlineError';
import { Time } from '../Time';

/**
 * Notifications off for 1 h, 24 h or until a chosen time (the rule keeps being evaluated), and
 * "end silence" (PATCH {silenced_until: null}).
 */
export function SilenceControls({ ruleId, silencedUntil, tz, canEdit }: {
  ruleId: string;
  silencedUntil: string | null;
  tz: string;
  canEdit: boolean;
}) {
  const patch = usePatchAlertRule(ruleId);
  const [picking, setPicking] = useState(false);
  const [wall, setWall] = useState('');
  const now = Date.now();
  const silenced = isSilenced(silencedUntil, now);
  const pickedMs = fromZonedInputValue(wall, tz);
  const pickedOk = pickedMs !== null && pickedMs > now;

  const silence = (until: string | null) =>
    patch.mutate({ silenced_until: until }, { onSuccess: () => setPicking(false) });

  return (
    <div className="silence small-buttons" data-testid="alert-silence" data-silenced={silenced}>
      {silenced ? (
        <span className="small" data-testid="alert-silenced-until">
          Silenced until <Time value={silencedUntil} tz={tz} />
        </span>
      ) : (
        !canEdit && <span className="muted">not silenced</span>
      )}
      {canEdit && silenced && (
        <button type="button" className="secondary" disabled={patch.isPending} onClick={() => silence(null)} data-testid="alert-silence-end">
          End silence
        </button>
      )}
      {canEdit && !picking && (
        <>
          <span className="muted small">{silenced ? 'Extend:' : 'Silence:'}</span>
          {SILENCE_PRESETS.map((p) => (
            <button key={p.hours} type="button" className="secondary" disabled={patch.isPending} onClick={() => silence(silenceFor(p.hours, Date.now()))} data-testid={`alert-silence-${p.hours}h`}>
              {p.label}
            </button>
          ))}
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setWall(toZonedInputValue(silenceFor(silenced ? 48 : 2, Date.now()), tz));
              setPicking(true);
            }}
            data-testid="alert-silence-until"
          >
            until…
          </button>
        </>
      )}
      {canEdit && picking && (
        <>
          <input type="datetime-local" value={wall} onChange={(e) => setWall(e.target.value)} aria-invalid={!pickedOk} aria-label={`Silence until (${tz})`} data-testid="alert-silence-until-input" />
          <button type="button" disabled={!pickedOk || patch.isPending} onClick={() => pickedMs !== null && silence(isoUtc(pickedMs))} data-testid="alert-silence-until-apply">
            Silence
          </button>
          <button type="button" className="secondary" onClick={() => setPicking(false)}>
            Cancel
          </button>
        </>
      )}
      {patch.isError && <InlineError error={patch.error} action="Silencing" />}
    </div>
  );
}
