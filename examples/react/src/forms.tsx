// The example's forms: each runs one action and shows its error by code, or a note when done.
import { useState, type FormEvent } from 'react';
import { ApiError } from './useAuthmirror';

/** Runs a form's action, showing its error by code, or a note once it is done. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const perform = async (action: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      setNote((await action()) ?? null);
    } catch (caught) {
      const known = caught instanceof ApiError ? caught : (caught as { code?: string; message?: string });
      setError({ code: known.code ?? 'error', message: known.message ?? String(caught) });
    } finally {
      setBusy(false);
    }
  };
  const run = (action: () => Promise<string | void>) => (event?: FormEvent) => {
    event?.preventDefault();
    void perform(action);
  };
  const feedback = (
    <>
      {error && (
        <p className="error" role="alert">
          <code>{error.code}</code> {error.message}
        </p>
      )}
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
    </>
  );
  return { busy, run, feedback };
}
export function field(form: FormEvent): (name: string) => string {
  const data = new FormData(form.currentTarget as HTMLFormElement);
  return (name) => {
    const value = data.get(name);
    return typeof value === 'string' ? value : '';
  };
}
