import type { CreateKeyResponse } from '../../api/types';
import { SecretPanel } from '../SecretPanel';

export function SecretReveal({ created, onDone }: { created: CreateKeyResponse; onDone: () => void }) {
  return (
    <SecretPanel
      title={`Key “${created.key.name}” created`}
      secret={created.secret}
      note="Copy the secret now: it is shown only this once and cannot be recovered."
      testIdPrefix="key-secret"
      onDone={onDone}
    />
  );
}
