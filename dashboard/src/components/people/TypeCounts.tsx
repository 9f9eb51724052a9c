import { shareOf } from '../../lib/people';
import { useTypeColors } from '../TypeColors';
import { TypeName } from '../TypeName';

/** A person's events by type, most frequent first, each with a bar in its type's chart colour. */
export function TypeCounts({ counts, total }: { counts: { type: string; count: number }[]; total: number }) {
  const typeColor = useTypeColors();
  return (
    <table className="table compact" data-testid="person-counts">
      <thead>
        <tr>
          <th>Type</th>
          <th className="num">Events</th>
          <th aria-label="Share" />
        </tr>
      </thead>
      <tbody>
        {counts.map((c) => (
          <tr key={c.type} data-testid="person-count-row" data-type={c.type}>
            <td>
              <TypeName name={c.type} />
            </td>
            <td className="num">{c.count.toLocaleString()}</td>
            <td className="share-cell">
              <span className="share-bar" style={{ width: `${shareOf(c.count, total)}%`, background: typeColor(c.type) }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
