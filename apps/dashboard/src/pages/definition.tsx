import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, api, query, type Definition, type DefinitionVersion, type Run } from '../api';
import { ErrorNotice, Json, formatTime, useLoad } from '../components';
import { Link, navigate, useRoute } from '../router';
import { StepGraph, type GraphStep } from './graph';

/** One definition version: its graph, its body, and a form to start a run of it. */
export default function DefinitionPage({ name }: { name: string }) {
  const { query: params } = useRoute();
  const version = params.get('version') ?? '';
  const owner = params.get('owner') ?? '';
  const definition = useLoad(
    () =>
      api<Definition>(
        'GET',
        version
          ? `/api/v1/definitions/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}${query({ owner })}`
          : `/api/v1/definitions/${encodeURIComponent(name)}${query({ owner })}`,
      ),
    [name, version, owner],
  );
  const versions = useLoad(
    () => api<{ items: DefinitionVersion[] }>('GET', `/api/v1/definitions/${encodeURIComponent(name)}/versions${query({ owner })}`),
    [name, owner],
  );
  const latest = versions.value?.items[0];
  const steps = useMemo<GraphStep[]>(
    () =>
      (definition.value?.definition.steps ?? []).map((step) => ({
        id: step.id,
        dependsOn: step.depends_on ?? [],
        detail: step.type && step.type !== 'agent' ? step.type : step.agent ?? (step.capability ? `capability ${step.capability}` : undefined),
      })),
    [definition.value],
  );
  const value = definition.value;
  return (
    <section>
      <h1>
        {name} {value && <span className="muted">@{value.version}</span>}
      </h1>
      <ErrorNotice error={definition.error} />
      <ErrorNotice error={versions.error} />
      {versions.value && (
        <details className="block" open={versions.value.items.length > 1} data-testid="definition-versions">
          <summary>Versions ({versions.value.items.length})</summary>
          <div className="table-wrap">
            <table className="versions">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Revision</th>
                  <th>Steps</th>
                  <th>Stored</th>
                  <th>Description</th>
                </tr>
              </thead>
              <tbody>
                {versions.value.items.map((item) => (
                  <tr key={item.id} data-version={item.version} aria-current={item.id === value?.id ? 'true' : undefined}>
                    <td>
                      <Link to={`/definitions/${encodeURIComponent(name)}${query({ version: item.version, owner })}`}>{item.version}</Link>
                      {item === latest && <span className="muted"> (latest)</span>}
                    </td>
                    <td>{item.revision}</td>
                    <td>{item.stepCount}</td>
                    <td>{formatTime(item.createdAt)}</td>
                    <td>{item.description ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {value && (
        <>
          <p className="muted">
            {value.stepCount} steps · revision {value.revision} · stored {formatTime(value.createdAt)}
            {value.owner ? ` · owner ${value.owner}` : ''}
          </p>
          {value.description && <p>{value.description}</p>}
          <StepGraph steps={steps} height={360} />
          <StartRun definition={value} />
          <details className="block">
            <summary>Definition body</summary>
            <Json value={value.definition} label="definition" />
          </details>
        </>
      )}
    </section>
  );
}

function StartRun({ definition }: { definition: Definition }) {
  const [text, setText] = useState('{}');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let input: unknown;
    try {
      input = text.trim() ? JSON.parse(text) : {};
    } catch {
      return setError(new Error('input: not valid JSON'));
    }
    setBusy(true);
    setError(null);
    try {
      const body = { definition: { name: definition.name, version: definition.version, ...(definition.owner ? { owner: definition.owner } : {}) }, input };
      const run = await api<Run>('POST', '/api/v1/runs', body);
      navigate(`/runs/${run.id}`);
    } catch (caught) {
      setError(caught instanceof ApiError && caught.details.length ? new Error(caught.details.map((d) => `${d.path}: ${d.message}`).join('; ')) : caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card start-run" onSubmit={submit} aria-labelledby="start-run-title">
      <h2 id="start-run-title">Start a run</h2>
      <label htmlFor="run-input">Input (JSON)</label>
      <textarea id="run-input" rows={6} spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Start run of {definition.name}@{definition.version}
        </button>
      </div>
    </form>
  );
}
