// A run's non-scalar metrics, as the SDK logs them (sdk/run_metrics.py, sdk/run_files.py):
// list, row (one row per call: gathered into a table), table (columns), confusion_matrix and
// accuracy_table (Azure's {"schema_type", "data": {...}} or plain JSON), image ({"path"}: a run file).
import { useEffect, useState } from "react";
import { ErrorBanner } from "../../components/ErrorBanner";
import { fileBlob, type JsonMetric, type Ws } from "./runsApi";

type Columns = Record<string, unknown[]>;

function cell(v: unknown): string {
  if (v == null) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return typeof v === "string" ? v : JSON.stringify(v);
}

function ColumnsTable({ label, columns }: { label: string; columns: Columns }) {
  const names = Object.keys(columns);
  const rows = Math.max(0, ...names.map((n) => (Array.isArray(columns[n]) ? columns[n].length : 0)));
  return (
    <div className="table-scroll">
      <table className="table runs-table-compact" aria-label={label}>
        <thead>
          <tr>
            {names.map((n) => (
              <th key={n}>{n}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: rows }, (_, i) => (
            <tr key={i}>
              {names.map((n) => (
                <td key={n} className="mono">
                  {cell(columns[n]?.[i])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Matrix {
  labels: string[];
  matrix: number[][];
}

/** Azure's confusion matrix ({"data": {"class_labels", "matrix"}}) or a bare {"class_labels", "matrix"} / number[][]. */
export function asMatrix(value: unknown): Matrix | null {
  const v = value as { data?: unknown; class_labels?: unknown; matrix?: unknown } | null;
  const inner = (v && typeof v === "object" && "data" in v ? v.data : v) as { class_labels?: unknown; matrix?: unknown } | unknown[] | null;
  const matrix = Array.isArray(inner) ? inner : (inner as { matrix?: unknown } | null)?.matrix;
  if (!Array.isArray(matrix) || !matrix.every((r) => Array.isArray(r) && r.every((x) => typeof x === "number"))) return null;
  const given = Array.isArray(inner) ? null : (inner as { class_labels?: unknown } | null)?.class_labels;
  const labels = Array.isArray(given) ? given.map(String) : matrix.map((_, i) => String(i));
  return { labels, matrix: matrix as number[][] };
}

function ConfusionMatrix({ name, value }: { name: string; value: unknown }) {
  const m = asMatrix(value);
  if (!m) return <pre className="code-block">{JSON.stringify(value, null, 2)}</pre>;
  const max = Math.max(1, ...m.matrix.flat());
  return (
    <table className="table runs-table-compact runs-confusion" aria-label={name}>
      <thead>
        <tr>
          <th>true \ predicted</th>
          {m.labels.map((l) => (
            <th key={l}>{l}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {m.matrix.map((row, i) => (
          <tr key={i}>
            <th scope="row">{m.labels[i] ?? i}</th>
            {row.map((x, j) => (
              <td key={j} className="mono" style={{ background: `rgba(59, 130, 246, ${(0.08 + 0.7 * (x / max)).toFixed(2)})` }}>
                {x}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunImage({ ws, runId, path, name }: { ws: Ws; runId: string; path: string; name: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const abort = new AbortController();
    let made: string | null = null;
    fileBlob(ws, runId, path, abort.signal)
      .then((b) => setUrl((made = URL.createObjectURL(b))))
      .catch((e: unknown) => !abort.signal.aborted && setError(e));
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [ws, runId, path]);
  if (error) return <ErrorBanner error={error} />;
  return url ? <img className="runs-image" src={url} alt={name} /> : <div className="muted">Loading {path}…</div>;
}

/** Rows logged one call at a time (log_row) gathered into columns, in step order. */
export function rowsToColumns(rows: JsonMetric[]): Columns {
  const out: Columns = {};
  const sorted = [...rows].sort((a, b) => a.step - b.step);
  sorted.forEach((r, i) => {
    for (const [k, v] of Object.entries((r.value ?? {}) as Record<string, unknown>)) {
      (out[k] ??= new Array(i).fill(null)).push(v);
    }
    for (const k of Object.keys(out)) if (out[k].length < i + 1) out[k].push(null);
  });
  return out;
}

export function JsonMetricView({ ws, runId, metrics }: { ws: Ws; runId: string; metrics: JsonMetric[] }) {
  // One entry per name: rows gather, images list every picture, the rest show their latest value.
  const byName = new Map<string, JsonMetric[]>();
  for (const m of metrics) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  return (
    <div className="runs-json-list">
      {[...byName.entries()].map(([name, items]) => {
        const kind = items[0].kind;
        const last = items[items.length - 1];
        let body;
        if (kind === "image") {
          body = (
            <div className="runs-image-strip">
              {items.map((m, i) => {
                const path = (m.value as { path?: unknown } | null)?.path;
                return typeof path === "string" ? <RunImage key={i} ws={ws} runId={runId} path={path} name={`${name} (${i + 1})`} /> : null;
              })}
            </div>
          );
        } else if (kind === "row") {
          body = <ColumnsTable label={name} columns={rowsToColumns(items)} />;
        } else if (kind === "table" && last.value && typeof last.value === "object" && !Array.isArray(last.value)) {
          body = <ColumnsTable label={name} columns={last.value as Columns} />;
        } else if (kind === "list" && Array.isArray(last.value)) {
          body = <ColumnsTable label={name} columns={{ [name]: last.value }} />;
        } else if (kind === "confusion_matrix") {
          body = <ConfusionMatrix name={name} value={last.value} />;
        } else {
          body = <pre className="code-block">{JSON.stringify(last.value, null, 2)}</pre>;
        }
        return (
          <article key={name} className="panel runs-json-metric" data-kind={kind} data-testid="json-metric">
            <header className="runs-panel-header">
              <h3>{name}</h3>
              <span className="muted runs-small">{kind.replace("_", " ")}</span>
            </header>
            {body}
          </article>
        );
      })}
    </div>
  );
}
