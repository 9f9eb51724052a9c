import { Fragment, useState } from 'react';
import type { DeadLetter } from '../../api/types';
import { prettyJson } from '../../lib/format';
import { StatusBadge } from '../StatusBadge';
import { Time } from '../Time';

const COLUMNS = 7;

export function DeadLetterRow({ letter, tz, selected, onToggle }: {
  letter: DeadLetter;
  tz: string;
  selected: boolean;
  onToggle: (id: number) => void;
}) {
  const [open, setOpen] = useState(false);
  const replayable = letter.status === 'new';
  return (
    <Fragment>
      <tr data-testid="dead-letter-row" data-id={letter.id}>
        <td>
          <input
            type="checkbox"
            checked={selected}
            disabled={!replayable}
            title={replayable ? 'Select for replay' : `Only new letters can be replayed (this one is ${letter.status})`}
            onChange={() => onToggle(letter.id)}
            aria-label={`Select letter ${letter.id}`}
            data-testid="dead-letter-select"
          />
        </td>
        <td className="num">{letter.id}</td>
        <td>
          <code>{letter.reason_code}</code>
        </td>
        <td className="preview" title={letter.error_text}>
          {letter.error_text}
        </td>
        <td className="nowrap">
          <Time value={letter.received_at} tz={tz} />
        </td>
        <td>
          <StatusBadge value={letter.status} />
          {letter.replayed_at && (
            <span className="muted small">
              {' '}
              <Time value={letter.replayed_at} tz={tz} />
            </span>
          )}
        </td>
        <td>
          <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="dead-letter-expand">
            {open ? 'Hide' : 'Show'}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="expanded">
          <td colSpan={COLUMNS}>
            <p className="muted small">
              Source: {letter.source.topic}, partition {letter.source.partition}, offset {letter.source.offset}
            </p>
            <p className="small">{letter.error_text}</p>
            <h3>Value (first 2 KB)</h3>
            <pre className="json" data-testid="dead-letter-value">
              {prettyJson(letter.value_preview)}
            </pre>
            <h3>Headers</h3>
            {letter.headers.length === 0 ? (
              <p className="muted">none</p>
            ) : (
              <table className="table compact">
                <tbody>
                  {letter.headers.map(([name, value], i) => (
                    <tr key={`${name}-${i}`}>
                      <th>{name}</th>
                      <td>
                        <code>{value}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  );
}
