// The workspace's submitted runs (jobs): status and why, compute, duration; a link to each run.
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { formatDuration, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { listJobs, type Job } from "../runs/runsApi";

const SUBMIT = `from mlyard import Experiment, ScriptRunConfig, Workspace

ws = Workspace.from_config()
config = ScriptRunConfig(source_directory=".", script="train.py", compute_target="local")
run = Experiment(ws, "train").submit(config)
run.wait_for_completion(show_output=True)`;

export function jobDuration(j: Job): number | null {
  const start = j.runningUtc ?? j.preparingUtc;
  if (!start) return null;
  return (j.endTimeUtc ? Date.parse(j.endTimeUtc) : Date.now()) - Date.parse(start);
}

export function JobsPage() {
  const { pathParams, base, scope } = useWorkspace();
  const navigate = useNavigate();
  const [tick, setTick] = useState(0);
  const jobs = useAsync(() => listJobs(pathParams), [scope, tick]);
  const items = jobs.data;
  const columns: Column<Job>[] = [
    {
      key: "runId",
      header: "Run",
      render: (j) => (
        <Link to={`${base}/runs/${j.runId}`} onClick={(e) => e.stopPropagation()} className="mono">
          {j.runId.slice(0, 12)}
        </Link>
      ),
    },
    {
      key: "experimentName",
      header: "Experiment",
      sortable: true,
      render: (j) => (
        <Link to={`${base}/experiments/${encodeURIComponent(j.experimentName)}`} onClick={(e) => e.stopPropagation()}>
          {j.experimentName}
        </Link>
      ),
    },
    {
      key: "status",
      header: "Status",
      sortable: true,
      render: (j) => (
        <span title={j.statusReason}>
          <StatusChip status={j.status} /> <span className="muted runs-small">{j.queue ? `#${j.queue.position} in queue` : ""}</span>
        </span>
      ),
    },
    { key: "computeTarget", header: "Compute", sortable: true, render: (j) => `${j.computeTarget} (${j.computeType})` },
    { key: "script", header: "Script", render: (j) => <span className="mono">{j.command ?? j.script ?? "—"}</span> },
    { key: "queuedUtc", header: "Submitted", sortable: true, render: (j) => formatTime(j.queuedUtc) },
    { key: "duration", header: "Duration", align: "right", render: (j) => formatDuration(jobDuration(j)) },
  ];
  const fetchPage = useMemo(
    () => localPages(items ?? [], (j) => `${j.experimentName} ${j.status} ${j.computeTarget} ${j.script ?? ""} ${j.runId}`),
    [items],
  );
  return (
    <Page
      title="Jobs"
      subtitle="Runs submitted to compute targets, newest first."
      actions={
        <button type="button" className="btn" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      }
    >
      <ErrorBanner error={jobs.error} onRetry={jobs.reload} />
      {items && (
        <DataTable
          label="Jobs"
          columns={columns}
          rowKey={(j) => j.runId}
          fetchPage={fetchPage}
          reloadKey={items}
          initialSort={{ key: "queuedUtc", desc: true }}
          filterPlaceholder="Filter by experiment, status, compute"
          onRowClick={(j) => navigate(`${base}/runs/${j.runId}`)}
          empty={
            <EmptyState title="No jobs yet" code={SUBMIT}>
              Submit a script to a compute target and follow its status, log and outputs here.
            </EmptyState>
          }
        />
      )}
    </Page>
  );
}
