// A run's child runs (hyperparameter sweeps, pipeline steps): status, duration, link.
import { Link } from "react-router-dom";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { StatusChip } from "../../components/StatusChip";
import { formatDuration, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { runDuration, runLabel } from "../experiments/ExperimentPage";
import { getChildren, type Run, type Ws } from "./runsApi";

export function RunChildren({ ws, base, runId }: { ws: Ws; base: string; runId: string }) {
  const children = useAsync(() => getChildren(ws, runId), [runId]);
  const columns: Column<Run>[] = [
    { key: "runNumber", header: "Run", sortable: true, render: (r) => <Link to={`${base}/runs/${r.runId}`}>{runLabel(r)}</Link> },
    { key: "status", header: "Status", sortable: true, render: (r) => <StatusChip status={r.status} /> },
    { key: "createdUtc", header: "Created", sortable: true, render: (r) => formatTime(r.createdUtc) },
    { key: "duration", header: "Duration", align: "right", render: (r) => formatDuration(runDuration(r)) },
  ];
  if (children.error) return <ErrorBanner error={children.error} onRetry={children.reload} />;
  if (!children.data) return <p className="muted">Loading…</p>;
  return (
    <DataTable
      label="Child runs"
      columns={columns}
      rowKey={(r) => r.runId}
      fetchPage={localPages(children.data, (r) => `${runLabel(r)} ${r.status}`)}
      reloadKey={children.data}
      empty={
        <EmptyState title="No child runs" code={'with run.child_run("fold-1") as child:\n    child.log("accuracy", 0.9)'}>
          Runs made with <code>run.child_run()</code> or <code>run.create_children(n)</code> are listed here.
        </EmptyState>
      }
    />
  );
}
