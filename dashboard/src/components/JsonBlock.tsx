import { prettyJson } from '../lib/format';

export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json" data-testid={testId}>
      {prettyJson(value)}
    </pre>
  );
}
