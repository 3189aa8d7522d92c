import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, query as queryString, type BatonEvent, type Definition, type Run, type RunStatus, type Step, type StepStatus } from '../api';
import {
  ConfirmButton,
  ErrorNotice,
  Json,
  Progress,
  ResultNotice,
  StatusBadge,
  formatDuration,
  formatTime,
  span,
  useNow,
  useLoad,
  useThrottle,
  type ActionResult,
} from '../components';
import { openStream } from '../sse';
import { Link, navigate, setQuery, useRoute } from '../router';
import { StepGraph, type GraphStep } from './graph';
import { itemProgress, unfoldSteps, type SubTarget } from './unfold';
import { Timeline } from './timeline';
import { StepPanel } from './step-panel';
import { StepList, overlay } from './run-overlay';
import { BudgetBox } from './run-budget';

const TERMINAL_RUN = new Set(['completed', 'failed', 'cancelled']);
/**
 * One run: its graph coloured live from the run's SSE stream, a timeline of attempts, a panel
 * for the selected step (`?step=<id>`, a deep link) and the operator's actions.
 */
export default function RunPage({ runId }: { runId: string }) {
  const { query } = useRoute();
  const selected = query.get('step');
  const [run, setRun] = useState<Run | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [epoch, setEpoch] = useState(0);
  const [listOpen, setListOpen] = useState(false);
  const [streamEnded, setStreamEnded] = useState(false);
  // The run's own events (history, then live); child runs' events are not kept here.
  const events = useRef<BatonEvent[]>([]);
  const [eventCount, setEventCount] = useState(0);
  // Events received since the last fetch started overlay the fetched statuses.
  const fetchMark = useRef(0);
  const [overlayMark, setOverlayMark] = useState(0);
  const lastId = useRef<string | null>(null);
  const now = useNow(1000);
  // Unfolded steps are kept in the address (`?open=a,b`), so a reload or a shared link keeps
  // them; the child runs loaded for unfolded orchestration steps are kept here.
  const openParam = query.get('open') ?? '';
  const expanded = useMemo<ReadonlySet<string>>(() => new Set(openParam.split(',').filter(Boolean)), [openParam]);
  const [childRuns, setChildRuns] = useState<ReadonlyMap<string, Run>>(new Map());
  const [childTick, setChildTick] = useState(0);

  const fetchRun = useCallback(async () => {
    const mark = events.current.length;
    try {
      const fresh = await api<Run>('GET', `/api/v1/runs/${runId}`);
      if (mark >= fetchMark.current) {
        fetchMark.current = mark;
        setOverlayMark(mark);
        setRun(fresh);
      }
      setLoadError(null);
    } catch (error) {
      setLoadError(error);
    }
  }, [runId]);
  const big = (run?.steps?.length ?? 0) > 200;
  const refetch = useThrottle(fetchRun, big ? 3000 : 600);

  useEffect(() => {
    void fetchRun();
  }, [fetchRun]);

  useEffect(() => {
    const stream = openStream(`/api/v1/runs/${runId}/events`, {
      after: lastId.current,
      onFrames: (frames) => {
        lastId.current = frames[frames.length - 1]?.id ?? lastId.current;
        let terminal = false;
        let childChanged = false;
        for (const frame of frames) {
          if (frame.type.startsWith('child.')) {
            childChanged = true;
            continue;
          }
          events.current.push(frame.event);
          if (TERMINAL_RUN.has(frame.event.type.slice(4))) terminal = true;
        }
        setEventCount(events.current.length);
        if (childChanged) setChildTick((tick) => tick + 1);
        if (terminal) void fetchRun();
        else refetch();
      },
      onEnd: () => setStreamEnded(true),
    });
    setStreamEnded(false);
    return () => stream.close();
  }, [runId, epoch, fetchRun, refetch]);

  // The stream ends with the run. A failed run may be retried (elsewhere too): look now and
  // then, and follow the stream again once the run goes on.
  const runStatus = run?.status;
  useEffect(() => {
    if (!streamEnded) return;
    if (runStatus && !TERMINAL_RUN.has(runStatus)) {
      const timer = setTimeout(() => setEpoch((e) => e + 1), 1000);
      return () => clearTimeout(timer);
    }
    if (runStatus !== 'failed') return;
    const timer = setInterval(() => void fetchRun(), 5000);
    return () => clearInterval(timer);
  }, [streamEnded, runStatus, fetchRun]);

  const view = useMemo(() => overlay(run, events.current, overlayMark), [run, eventCount, overlayMark]); // eslint-disable-line react-hooks/exhaustive-deps

  // Which steps are for_each fan-outs is in the definition, read once per run.
  const definitionRef = run ? [run.definition.name, run.definition.version, run.owner] : null;
  const definition = useLoad(
    () =>
      definitionRef
        ? api<Definition>(
            'GET',
            `/api/v1/definitions/${encodeURIComponent(definitionRef[0]!)}/versions/${encodeURIComponent(definitionRef[1]!)}${queryString({ owner: definitionRef[2] })}`,
          )
        : Promise.resolve(undefined),
    [definitionRef?.join('\u0000')],
  );
  const forEachSteps = useMemo(
    () => new Set((definition.value?.definition.steps ?? []).filter((spec) => spec.for_each).map((spec) => spec.id)),
    [definition.value],
  );
  // The event each `type: wait` step waits for, shown on its node.
  const waitEvents = useMemo(
    () => new Map((definition.value?.definition.steps ?? []).filter((spec) => spec.type === 'wait' && spec.event).map((spec) => [spec.id, spec.event!])),
    [definition.value],
  );

  // Unfolded orchestration steps show their child run's steps: loaded when unfolded, and again
  // (at most every 600 ms) when the stream reports child events or the step changes.
  const unfoldedChildren = useMemo(
    () => (view?.steps ?? []).filter((step) => expanded.has(step.id) && step.childRunId).map((step) => `${step.childRunId}|${step.status}`),
    [view?.steps, expanded],
  );
  const loadChildren = useCallback(async (keys: string[]) => {
    const loaded = await Promise.all(
      keys.map((key) => api<Run>('GET', `/api/v1/runs/${key.split('|')[0]}`).catch(() => null)),
    );
    setChildRuns((previous) => {
      const next = new Map(previous);
      for (const child of loaded) if (child) next.set(child.id, child);
      return next;
    });
  }, []);
  const childKeys = useRef(unfoldedChildren);
  childKeys.current = unfoldedChildren;
  const reloadChildren = useThrottle(() => void loadChildren(childKeys.current), 600);
  const childKey = unfoldedChildren.join(',');
  useEffect(() => {
    if (unfoldedChildren.length > 0) reloadChildren();
  }, [childKey, childTick]); // eslint-disable-line react-hooks/exhaustive-deps

  // A running for_each step's items, from its progress events (only worth folding when shown).
  const items = useMemo(
    () => ([...expanded, selected].some((id) => id && forEachSteps.has(id)) ? itemProgress(events.current) : undefined),
    [expanded, selected, forEachSteps, eventCount], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const unfolded = useMemo(
    () => unfoldSteps(view?.steps ?? [], { forEach: forEachSteps, expanded, childRuns, items, waits: waitEvents }),
    [view?.steps, forEachSteps, expanded, childRuns, items, waitEvents],
  );
  const graphSteps: GraphStep[] = unfolded.steps;
  const subTargets: ReadonlyMap<string, SubTarget> = unfolded.targets;
  const targetsRef = useRef(subTargets);
  targetsRef.current = subTargets;
  // An item selects its for_each step; a child run's step opens the child run at that step.
  const select = useCallback((id: string) => {
    const target = targetsRef.current.get(id);
    if (!target) return setQuery({ step: id });
    if (target.kind === 'item') return setQuery({ step: target.parent });
    navigate(`/runs/${target.runId}${target.stepId ? `?step=${encodeURIComponent(target.stepId)}` : ''}`);
  }, []);
  const toggle = useCallback((id: string) => {
    const next = new Set(new URL(location.href).searchParams.get('open')?.split(',').filter(Boolean));
    if (!next.delete(id)) next.add(id);
    setQuery({ open: [...next].join(',') });
  }, []);

  if (!view) {
    return (
      <section>
        <h1>Run</h1>
        {loadError ? <ErrorNotice error={loadError} /> : <p className="muted">Loading…</p>}
      </section>
    );
  }

  const step = view.steps?.find((s) => s.id === selected) ?? null;
  const terminal = TERMINAL_RUN.has(view.status);
  const act = (path: string, done: string) => async () => {
    await api('POST', `/api/v1/runs/${runId}/${path}`);
    await fetchRun();
    setEpoch((e) => e + 1);
    return done;
  };
  const retry = async (stepKey: string) => {
    const fresh = await api<Run>('POST', `/api/v1/runs/${runId}/steps/${encodeURIComponent(stepKey)}/retry`);
    fetchMark.current = events.current.length;
    setOverlayMark(events.current.length);
    setRun(fresh);
    setEpoch((e) => e + 1);
    return `Step ${stepKey} retried: the run is ${fresh.status}.`;
  };

  return (
    <section className="run-page" data-run-status={view.status}>
      <header className="page-head">
        <div>
          <h1>
            Run <span className="mono">{view.id}</span> <StatusBadge status={view.status} />
          </h1>
          <dl className="meta">
            <dt>Definition</dt>
            <dd>
              <Link to={`/definitions/${encodeURIComponent(view.definition.name)}?version=${encodeURIComponent(view.definition.version)}`}>
                {view.definition.name}
              </Link>{' '}
              <span className="muted">@{view.definition.version}</span>
            </dd>
            <dt>Owner</dt>
            <dd>{view.owner || '—'}</dd>
            <dt>Started</dt>
            <dd>{formatTime(view.startedAt ?? view.createdAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(span(view.startedAt, view.finishedAt, now))}</dd>
            <dt>Progress</dt>
            <dd>
              <Progress {...view.progress} />
            </dd>
            {view.parentRunId && (
              <>
                <dt>Parent</dt>
                <dd>
                  <Link to={`/runs/${view.parentRunId}?step=${view.parentStepId ?? ''}`}>{view.parentRunId.slice(0, 8)}</Link>
                </dd>
              </>
            )}
          </dl>
        </div>
        <div className="actions" aria-label="Run actions">
          {view.status === 'paused' ? (
            <ConfirmButton label="Resume" title="Resume this run?" message="Queued steps start again." action={act('resume', 'Run resumed.')} onResult={setResult} />
          ) : (
            <ConfirmButton
              label="Pause"
              title="Pause this run?"
              message="No new step starts; steps already running finish."
              disabled={terminal}
              action={act('pause', 'Run paused.')}
              onResult={setResult}
            />
          )}
          <ConfirmButton
            label="Cancel run"
            title="Cancel this run?"
            message="Open steps are cancelled and in-flight agent calls aborted. This cannot be undone."
            confirmLabel="Cancel run"
            danger
            disabled={terminal}
            action={act('cancel', 'Run cancelled.')}
            onResult={setResult}
          />
        </div>
      </header>
      <ResultNotice result={result} onDismiss={() => setResult(null)} />
      {view.error && (
        <p className="notice error" role="alert" data-testid="run-error">
          {view.error.stepKey ? `Step ${view.error.stepKey}: ` : ''}
          {view.error.message}
        </p>
      )}
      <BudgetBox budget={view.budget} runId={view.id} />
      <div className="run-body">
        <StepGraph steps={graphSteps} selected={selected} onSelect={select} onToggle={toggle} height={big ? 560 : 420} />
        <aside className="panel" aria-label="Step details" data-testid="step-panel">
          {step ? (
            <StepPanel
              step={step}
              run={view}
              events={events.current.filter((event) => event.stepKey === step.id)}
              now={now}
              items={items?.get(step.id)}
              onRetry={retry}
              onResult={setResult}
              onClose={() => setQuery({ step: null })}
            />
          ) : (
            <p className="muted">Select a step in the graph, the timeline or the list below to see its input, output, error, attempts and events.</p>
          )}
        </aside>
      </div>
      <details open className="block">
        <summary>Timeline of attempts</summary>
        <Timeline events={events.current} eventCount={eventCount} now={now} onSelect={select} selected={selected} />
      </details>
      <details className="block" onToggle={(e) => setListOpen(e.currentTarget.open)}>
        <summary>All steps ({view.steps?.length ?? 0})</summary>
        {listOpen && <StepList steps={view.steps ?? []} onSelect={select} selected={selected} />}
      </details>
      <div className="io">
        <div>
          <h2>Input</h2>
          <Json value={view.input} label="run input" />
        </div>
        <div>
          <h2>Output</h2>
          <Json value={view.output ?? undefined} label="run output" />
        </div>
      </div>
    </section>
  );
}
