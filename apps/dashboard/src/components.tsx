import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** Duration between two timestamps; an open end means "until now". */
export function span(start: string | null | undefined, end: string | null | undefined, now = Date.now()): number | null {
  if (!start) return null;
  // `now` ticks once a second, so it may lag behind a timestamp the server just wrote.
  return Math.max(0, (end ? Date.parse(end) : Math.max(now, Date.now())) - Date.parse(start));
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  if (value === undefined) return <p className="muted">{label ? `${label}: ` : ''}none</p>;
  let text = JSON.stringify(value, null, 2) ?? 'undefined';
  if (text.length > 20_000) text = `${text.slice(0, 20_000)}\n… (${text.length - 20_000} more characters)`;
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="notice error" role="alert">
      {error instanceof ApiError ? `${error.status}: ` : ''}
      {message}
    </p>
  );
}

/** Loads something from the API; `reload` fetches again (keeping the old value meanwhile). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): {
  value: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
} {
  const [state, setState] = useState<{ value: T | undefined; error: unknown; loading: boolean }>({
    value: undefined,
    error: null,
    loading: true,
  });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (value) => mine === generation.current && setState({ value, error: null, loading: false }),
      (error) => mine === generation.current && setState((previous) => ({ ...previous, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    run();
  }, [run]);
  return { ...state, reload: run };
}

/** Calls `fn` at most once per `ms`, trailing: for refetches triggered by a burst of events. */
export function useThrottle(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const timer = useRef<number | null>(null);
  const last = useRef(0);
  useEffect(() => () => {
    if (timer.current !== null) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current !== null) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    timer.current = window.setTimeout(() => {
      timer.current = null;
      last.current = Date.now();
      latest.current();
    }, wait);
  }, [ms]);
}

export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

/**
 * A button that asks for confirmation in a modal dialog (focus stays inside, Escape closes)
 * and then runs the action; the caller shows the result.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  action: () => Promise<string>;
  onResult: (result: ActionResult) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      props.onResult({ ok: true, message: await props.action() });
    } catch (error) {
      props.onResult({ ok: false, message: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };
  return (
    <>
      <button type="button" className={props.danger ? 'danger' : undefined} disabled={props.disabled || busy} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} className="confirm" aria-label={props.title}>
        <h2>{props.title}</h2>
        <div>{props.message}</div>
        <div className="actions">
          <button type="button" onClick={() => dialog.current?.close()} autoFocus>
            Keep it
          </button>
          <button type="button" className={props.danger ? 'danger primary' : 'primary'} disabled={busy} onClick={confirm}>
            {props.confirmLabel ?? props.label}
          </button>
        </div>
      </dialog>
    </>
  );
}

export function ResultNotice({ result, onDismiss }: { result: ActionResult | null; onDismiss: () => void }) {
  if (!result) return null;
  return (
    <div className={`notice ${result.ok ? 'ok' : 'error'}`} role={result.ok ? 'status' : 'alert'}>
      <span>{result.message}</span>
      <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

export function Pager(props: { hasPrevious: boolean; hasNext: boolean; onPrevious: () => void; onNext: () => void }) {
  if (!props.hasPrevious && !props.hasNext) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        ← Newer
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext}>
        Older →
      </button>
    </nav>
  );
}

export function Progress({ percent, done, total }: { percent: number; done: number; total: number }) {
  return (
    <span className="progress" title={`${done} of ${total} steps`}>
      <progress max={100} value={percent} aria-label={`${done} of ${total} steps`} />
      <span>
        {done}/{total}
      </span>
    </span>
  );
}
