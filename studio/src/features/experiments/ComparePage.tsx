// Compare runs: their parameters side by side (rows that differ marked) and each metric's
// charts overlaid, one line a run.
import { useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { ChartControls, MetricChart, type ChartOptions } from "../runs/MetricChart";
import { runsById, type FoundRun, type Ws } from "../runs/runsApi";
import { useHistories } from "../runs/useHistories";
import { pointsFor } from "../runs/series";
import { diffParams, formatMetric, metricNames } from "./columns";
import { runLabel } from "./ExperimentPage";

const CHART_WIDTH = 560;

function OverlaidMetric({ ws, runs, metric, options }: { ws: Ws; runs: FoundRun[]; metric: string; options: ChartOptions }) {
  const having = runs.filter((r) => r.metrics.some((m) => m.name === metric));
  const requests = useMemo(() => having.map((r) => ({ runId: r.runId, metric })), [having, metric]);
  const got = useHistories(ws, requests, pointsFor(CHART_WIDTH));
  const lines = useMemo(
    () => got.series.flatMap((s, i) => (s ? [{ label: runLabel(having[i]), series: s }] : [])),
    [got.series, having],
  );
  if (got.error) return <ErrorBanner error={got.error} />;
  if (!lines.length) return <div className="runs-chart-placeholder muted">Loading {metric}…</div>;
  return <MetricChart title={metric} lines={lines} options={options} />;
}

export function ComparePage() {
  const { name = "" } = useParams();
  const [params] = useSearchParams();
  const { pathParams, base, scope } = useWorkspace();
  const ids = (params.get("runs") ?? "").split(",").filter(Boolean);
  const found = useAsync(() => runsById(pathParams, ids), [scope, ids.join(",")]);
  const [options, setOptions] = useState<ChartOptions>({ axis: "step", log: false, smoothing: 0 });
  const runs = found.data ?? [];
  const diff = useMemo(() => diffParams(runs), [runs]);
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const metrics = useMemo(() => metricNames(runs), [runs]);
  // A metric logged once is a number (in the table above), not a line.
  const charted = useMemo(() => metrics.filter((m) => runs.some((r) => r.metrics.some((x) => x.name === m && x.count > 1))), [metrics, runs]);
  const back = `${base}/experiments/${encodeURIComponent(name)}`;

  return (
    <Page
      title={`Compare ${ids.length} runs`}
      subtitle={
        <>
          <Link to={`${base}/experiments`}>Experiments</Link> / <Link to={back}>{name}</Link> / compare
        </>
      }
    >
      <ErrorBanner error={found.error} onRetry={found.reload} />
      {found.data && runs.length < 2 && (
        <EmptyState title="Pick two or more runs to compare" action={<Link to={back}>Back to the runs of {name}</Link>}>
          Tick the runs in the experiment's table, then press Compare.
        </EmptyState>
      )}
      {runs.length >= 2 && (
        <>
          <section className="panel">
            <header className="runs-panel-header">
              <h2>Parameters</h2>
              <label>
                <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} /> Only those that differ
              </label>
            </header>
            <div className="table-scroll">
              <table className="table" aria-label="Parameters compared">
                <thead>
                  <tr>
                    <th>Parameter</th>
                    {runs.map((r) => (
                      <th key={r.runId}>
                        <Link to={`${base}/runs/${r.runId}`}>{runLabel(r)}</Link> <StatusChip status={r.status} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {diff
                    .filter((row) => !onlyDiffering || row.differs)
                    .map((row) => (
                      <tr key={row.key} className={row.differs ? "experiments-row-differs" : undefined} data-differs={row.differs || undefined}>
                        <th scope="row">{row.key}</th>
                        {row.values.map((v, i) => (
                          <td key={i} className="mono">
                            {v ?? "—"}
                          </td>
                        ))}
                      </tr>
                    ))}
                  {!diff.length && (
                    <tr>
                      <td colSpan={runs.length + 1} className="no-rows">
                        These runs logged no parameters.
                      </td>
                    </tr>
                  )}
                  {metrics.map((m) => (
                    <tr key={`metric:${m}`} className="experiments-row-metric">
                      <th scope="row">{m} (latest)</th>
                      {runs.map((r) => {
                        const found = r.metrics.find((x) => x.name === m);
                        return (
                          <td key={r.runId} className="mono">
                            {found ? formatMetric(found.value) : "—"}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section className="panel">
            <header className="runs-panel-header">
              <h2>Metrics</h2>
              <ChartControls value={options} onChange={setOptions} />
            </header>
            {charted.length === 0 && <p className="muted">These runs logged no metric more than once: their values are in the table above.</p>}
            <div className="runs-chart-grid">
              {charted.map((m) => (
                <OverlaidMetric key={m} ws={pathParams} runs={runs} metric={m} options={options} />
              ))}
            </div>
          </section>
        </>
      )}
    </Page>
  );
}
