// A run's overview: status timeline from its timestamps (and its job's), duration, submitter,
// compute, environment, inputs (input datasets), params, properties, tags (editable).
import { useState } from "react";
import { Link } from "react-router-dom";
import { useSession } from "../../auth/session";
import { GuardedButton } from "../../components/access";
import { ErrorBanner } from "../../components/ErrorBanner";
import { TagsEditor, cleanTags } from "../../components/TagsEditor";
import { formatDuration, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { runDuration } from "../experiments/ExperimentPage";
import { inputDatasets, updateTags, type Job, type Run, type Ws } from "./runsApi";
import { timeline } from "./timeline";

const RUNS_WRITE = "workspaces/experiments/runs/write";

function KeyValues({ label, values }: { label: string; values: Record<string, string> }) {
  const entries = Object.entries(values);
  return (
    <section className="panel">
      <h2>{label}</h2>
      {entries.length ? (
        <dl className="facts">
          {entries.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd className="mono">{v}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">None.</p>
      )}
    </section>
  );
}

function Tags({ ws, scope, run, onChanged }: { ws: Ws; scope: string; run: Run; onChanged: (r: Run) => void }) {
  const [editing, setEditing] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  async function save() {
    if (!editing) return;
    const next = cleanTags(editing);
    const removed = Object.keys(run.tags).filter((k) => !(k in next));
    setSaving(true);
    try {
      onChanged(await updateTags(ws, run.runId, next, removed));
      setEditing(null);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  }
  return (
    <section className="panel" aria-label="Tags">
      <header className="runs-panel-header">
        <h2>Tags</h2>
        {!editing && (
          <GuardedButton action={RUNS_WRITE} scope={scope} className="btn btn-small" onClick={() => setEditing({ ...run.tags })}>
            Edit tags
          </GuardedButton>
        )}
      </header>
      <ErrorBanner error={error} />
      {editing ? (
        <>
          <TagsEditor value={editing} onChange={setEditing} />
          <div className="runs-form-actions">
            <button type="button" className="btn btn-primary" disabled={saving} onClick={() => void save()}>
              Save tags
            </button>
            <button type="button" className="btn" onClick={() => (setEditing(null), setError(null))}>
              Cancel
            </button>
          </div>
        </>
      ) : Object.keys(run.tags).length ? (
        <div className="runs-tag-list">
          {Object.entries(run.tags).map(([k, v]) => (
            <span key={k} className="runs-tag" data-tag={k}>
              {k}
              {v ? `: ${v}` : ""}
            </span>
          ))}
        </div>
      ) : (
        <p className="muted">No tags. Tags find runs in filters: tags.team = 'vision'.</p>
      )}
    </section>
  );
}

/** Who made the run: the signed-in user by name, anyone else by principal id. */
function Submitter({ id }: { id: string | null | undefined }) {
  const { me } = useSession();
  if (!id) return <>—</>;
  if (me && me.id === id) return <>{me.displayName || me.name} (you)</>;
  return <span className="mono">{id}</span>;
}

export function RunOverview({ ws, scope, base, run, job, onChanged }: { ws: Ws; scope: string; base: string; run: Run; job: Job | null; onChanged: (r: Run) => void }) {
  const inputs = useAsync(() => inputDatasets(ws, run.runId), [run.runId]);
  const steps = timeline(run, job);
  return (
    <div className="runs-overview">
      <section className="panel">
        <h2>Timeline</h2>
        <ol className="runs-timeline" aria-label="Status timeline">
          {steps.map((s) => (
            <li key={s.label} className={s.at ? "runs-done" : "runs-pending"} data-step={s.label}>
              <span className="runs-timeline-label">{s.label}</span>
              <span className="muted">{s.at ? formatTime(s.at) : "—"}</span>
              {s.took != null && <span className="muted runs-small"> ({formatDuration(s.took)})</span>}
            </li>
          ))}
        </ol>
        <dl className="facts">
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(runDuration(run))}</dd>
          </div>
          <div>
            <dt>Submitted by</dt>
            <dd>
              <Submitter id={run.createdBy} />
            </dd>
          </div>
          <div>
            <dt>Run type</dt>
            <dd>{run.runType}</dd>
          </div>
          <div>
            <dt>Compute</dt>
            <dd>{job ? `${job.computeTarget} (${job.computeType})` : "Outside mlyard (interactive)"}</dd>
          </div>
          <div>
            <dt>Environment</dt>
            <dd>{job?.environment ?? "—"}</dd>
          </div>
          {job && (
            <div>
              <dt>Script</dt>
              <dd className="mono">{job.command ?? [job.script, ...job.arguments].filter(Boolean).join(" ")}</dd>
            </div>
          )}
          {job?.exitCode != null && (
            <div>
              <dt>Exit code</dt>
              <dd>{job.exitCode}</dd>
            </div>
          )}
          {run.parentRunId && (
            <div>
              <dt>Parent run</dt>
              <dd>
                <Link to={`${base}/runs/${run.parentRunId}`}>{run.parentRunId}</Link>
              </dd>
            </div>
          )}
        </dl>
        {run.error && (
          <div className="error-banner" role="alert">
            <strong>{String((run.error as { code?: unknown }).code ?? "Error")}</strong>
            <span>{String((run.error as { message?: unknown }).message ?? JSON.stringify(run.error))}</span>
          </div>
        )}
      </section>
      <section className="panel">
        <h2>Inputs</h2>
        <ErrorBanner error={inputs.error} />
        {inputs.data?.length ? (
          <table className="table runs-table-compact" aria-label="Input datasets">
            <thead>
              <tr>
                <th>Name</th>
                <th>Dataset</th>
                <th>Version</th>
                <th>Mode</th>
              </tr>
            </thead>
            <tbody>
              {inputs.data.map((i) => (
                <tr key={i.name}>
                  <td>{i.name}</td>
                  <td>
                    <Link to={`${base}/data`}>{i.dataset}</Link> <span className="muted runs-small">{i.datasetType}</span>
                  </td>
                  <td>{i.version}</td>
                  <td>{i.mode}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">{inputs.loading ? "Loading…" : "No input datasets."}</p>
        )}
        {job && (
          <p className="muted runs-small">
            Source snapshot <span className="mono">{job.snapshotId}</span>
          </p>
        )}
      </section>
      <KeyValues label="Parameters" values={run.params} />
      <Tags ws={ws} scope={scope} run={run} onChanged={onChanged} />
      <KeyValues label="Properties" values={run.properties} />
    </div>
  );
}
