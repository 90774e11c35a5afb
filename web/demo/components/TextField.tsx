import { useId, type InputHTMLAttributes } from 'react';

/** A labelled text input; its error, when there is one, is announced and tied to the field. */
export function TextField({
  label,
  error,
  testId,
  errorTestId,
  ...input
}: { label: string; error?: string; testId: string; errorTestId?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={testId} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} {...input} />
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert" data-testid={errorTestId}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The service's refusal of a submitted form, above its button. */
export function Refusal({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p className="form-error" role="alert" data-testid="demo-error">
      {text}
    </p>
  );
}
