import type { FieldErrors } from '../../lib/alertsForm';
import type { RulePath } from '../../lib/alertsErrors';

/** The message for one body path, from the form's own checks or the API's 400. */
export function FieldError({ errors, path }: { errors: FieldErrors; path: RulePath }) {
  const message = errors[path];
  if (!message) return null;
  return (
    <p className="field-error" role="alert" data-testid="rule-field-error" data-field={path}>
      {message}
    </p>
  );
}
