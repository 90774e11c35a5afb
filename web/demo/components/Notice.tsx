export function Notice({ tone, title, text, action, testId }: { tone: 'info' | 'error' | 'success'; title: string; text?: string; action?: { label: string; onClick: () => void }; testId?: string }) {
  return (
    <section className={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'} data-testid={testId}>
      <h2>{title}</h2>
      {text && <p>{text}</p>}
      {action && (
        <button type="button" className="button secondary" onClick={action.onClick}>
          {action.label}
        </button>
      )}
    </section>
  );
}
