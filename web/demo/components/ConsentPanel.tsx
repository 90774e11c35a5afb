import { useId } from 'react';

export function ConsentPanel({ title, text, label, checked, onChange, testId }: { title: string; text: string; label: string; checked: boolean; onChange: (checked: boolean) => void; testId: string }) {
  const id = useId();
  return (
    <fieldset className="consent">
      <legend>{title}</legend>
      <div className="consent-text" tabIndex={0} aria-label={title}>
        {text.split('\n').map((line, i) => (
          <p key={i}>{line}</p>
        ))}
      </div>
      <label className="check" htmlFor={id}>
        <input id={id} type="checkbox" data-testid={testId} checked={checked} onChange={(e) => onChange(e.target.checked)} />
        <span>{label}</span>
      </label>
    </fieldset>
  );
}
