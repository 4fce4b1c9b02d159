// A run: overview, metrics (charts, tables, images), files, logs, child runs; cancel. The tab is
// in the URL (?tab=metrics) so that a link, a reload or the benchmark opens it directly.
import { useCallback, useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { GuardedButton } from "../../components/access";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { runLabel } from "../experiments/ExperimentPage";
import { RunChildren } from "./RunChildren";
import { RunFiles } from "./RunFiles";
import { RunLogs } from "./RunLogs";
import { prefetchMetricCharts, RunMetrics } from "./RunMetrics";
import { RunOverview } from "./RunOverview";
import { cancelRun, getJob, getRun, runMetrics, type Run } from "./runsApi";
import "./runs.css";

const TABS = [
  ["overview", "Overview"],
  ["metrics", "Metrics"],
  ["files", "Files"],
  ["logs", "Logs"],
  ["children", "Child runs"],
] as const;
type Tab = (typeof TABS)[number][0];
const TERMINAL = ["Completed", "Failed", "Canceled"];
const REFRESH_MS = 5000;

export function RunPage() {
  const { runId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find(([t]) => t === params.get("tab"))?.[0] ?? "overview") as Tab;
  const { pathParams, base, scope } = useWorkspace();
  const loaded = useAsync(() => getRun(pathParams, runId), [scope, runId]);
  const job = useAsync(() => getJob(pathParams, runId), [scope, runId]);
  const metrics = useAsync(async () => {
    const got = await runMetrics(pathParams, runId);
    // On the Metrics tab the charts' histories leave with the list, not after the charts render.
    if (new URLSearchParams(window.location.search).get("tab") === "metrics") prefetchMetricCharts(pathParams, runId, got.metrics);
    return got;
  }, [scope, runId]);
  const [run, setRun] = useState<Run | undefined>();
  const [cancelError, setCancelError] = useState<unknown>(null);
  useEffect(() => setRun(loaded.data), [loaded.data]);

  // While the run goes on, its status and metrics are read again every few seconds.
  const live = run != null && !TERMINAL.includes(run.status);
  const { reload: reloadRun } = loaded;
  const { reload: reloadJob } = job;
  const { reload: reloadMetrics } = metrics;
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      reloadRun();
      reloadJob();
      if (tab !== "metrics") reloadMetrics();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, tab, reloadRun, reloadJob, reloadMetrics]);

  // The job's end (its log complete): read the run and its job again, for their final status.
  const refresh = useCallback(() => {
    reloadRun();
    reloadJob();
  }, [reloadRun, reloadJob]);

  async function cancel() {
    try {
      setRun(await cancelRun(pathParams, runId));
      setCancelError(null);
      job.reload();
    } catch (e) {
      setCancelError(e);
    }
  }

  const experimentLink = run ? `${base}/experiments/${encodeURIComponent(run.experimentName)}` : `${base}/experiments`;
  return (
    <Page
      title={
        <>
          {run ? runLabel(run) : runId} {run && <StatusChip status={run.status} />}
        </>
      }
      subtitle={
        <>
          <Link to={`${base}/experiments`}>Experiments</Link> / <Link to={experimentLink}>{run?.experimentName ?? "…"}</Link> /{" "}
          <span className="mono">{runId}</span>
        </>
      }
      actions={
        <GuardedButton
          action="workspaces/experiments/runs/write"
          scope={scope}
          className="btn btn-danger"
          disabled={!run || !live}
          title={run && !live ? `The run is ${run.status}: there is nothing to cancel.` : undefined}
          onClick={() => void cancel()}
          showReason
        >
          Cancel run
        </GuardedButton>
      }
    >
      <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      <ErrorBanner error={cancelError} />
      <nav className="runs-tabs" role="tablist" aria-label="Run">
        {TABS.map(([t, label]) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "runs-tab runs-tab-active" : "runs-tab"}
            onClick={() => setParams(t === "overview" ? {} : { tab: t }, { replace: true })}
          >
            {label}
          </button>
        ))}
      </nav>
      {run && (
        <div role="tabpanel" aria-label={tab}>
          {tab === "overview" && (
            <RunOverview ws={pathParams} scope={scope} base={base} run={run} job={job.data ?? null} onChanged={setRun} />
          )}
          {tab === "metrics" &&
            (metrics.error ? (
              <ErrorBanner error={metrics.error} onRetry={metrics.reload} />
            ) : metrics.data ? (
              <RunMetrics ws={pathParams} runId={runId} metrics={metrics.data.metrics} jsonMetrics={metrics.data.jsonMetrics} />
            ) : (
              <p className="muted">Loading metrics…</p>
            ))}
          {tab === "files" && <RunFiles ws={pathParams} runId={runId} />}
          {tab === "logs" && (job.data !== undefined || job.error ? <RunLogs ws={pathParams} runId={runId} job={job.data ?? null} onComplete={refresh} /> : <p className="muted">Loading…</p>)}
          {tab === "children" && <RunChildren ws={pathParams} base={base} runId={runId} />}
        </div>
      )}
    </Page>
  );
}
