// The workspace's experiments: run counts, runs still going and last activity, sortable and
// filtered in the browser (a workspace has tens of experiments, not thousands).
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { formatTags, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { listExperiments, type Experiment } from "../runs/runsApi";
import { FIRST_RUN } from "./snippets";

type View = "active" | "archived" | "all";

export function ExperimentsPage() {
  const { pathParams, base } = useWorkspace();
  const navigate = useNavigate();
  const [view, setView] = useState<View>("active");
  const found = useAsync(() => listExperiments(pathParams, view), [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName, view]);
  const items = found.data;

  const columns: Column<Experiment>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      render: (e) => <Link to={`${base}/experiments/${encodeURIComponent(e.name)}`}>{e.name}</Link>,
    },
    { key: "runCount", header: "Runs", sortable: true, align: "right", render: (e) => e.runCount.toLocaleString() },
    {
      key: "activeRunCount",
      header: "Active",
      sortable: true,
      align: "right",
      render: (e) => (e.activeRunCount ? <span className="chip chip-active">{e.activeRunCount} running</span> : "—"),
    },
    { key: "lastActivityUtc", header: "Last activity", sortable: true, render: (e) => formatTime(e.lastActivityUtc) },
    { key: "createdAt", header: "Created", sortable: true, render: (e) => formatTime(e.createdAt) },
    { key: "tags", header: "Tags", render: (e) => <span className="muted">{formatTags(e.tags) || "—"}</span> },
    ...(view !== "active" ? [{ key: "archived", header: "State", render: (e: Experiment) => (e.archived ? "Archived" : "Active") }] : []),
  ];

  const fetchPage = useMemo(
    () =>
      localPages(
        items ?? [],
        (e) => `${e.name} ${formatTags(e.tags)}`,
        (e, key) => {
          const v = (e as unknown as Record<string, unknown>)[key];
          return typeof v === "number" || typeof v === "string" ? v : null;
        },
      ),
    [items],
  );

  return (
    <Page
      title="Experiments"
      subtitle="Runs grouped by experiment: open one to chart, filter and compare its runs."
      actions={
        <select aria-label="Which experiments" value={view} onChange={(e) => setView(e.target.value as View)}>
          <option value="active">Active</option>
          <option value="archived">Archived</option>
          <option value="all">All</option>
        </select>
      }
    >
      <ErrorBanner error={found.error} onRetry={found.reload} />
      {items && (
        <DataTable
          label="Experiments"
          columns={columns}
          rowKey={(e) => e.id}
          fetchPage={fetchPage}
          reloadKey={items}
          initialSort={{ key: "lastActivityUtc", desc: true }}
          filterPlaceholder="Filter by name or tag"
          onRowClick={(e) => navigate(`${base}/experiments/${encodeURIComponent(e.name)}`)}
          empty={
            <EmptyState title={view === "active" ? "No experiments yet" : "No experiments in this view"} code={FIRST_RUN}>
              An experiment is made by its first run. Log one from the SDK (with a <code>config.json</code> of this workspace
              beside your script) and it appears here with its runs.
            </EmptyState>
          }
        />
      )}
    </Page>
  );
}
