// The workspace's compute targets: type, state, size and cost so far (joined from computeUsage),
// create, start/stop/restart, delete with a typed confirmation, and JupyterLab of a running
// instance in a new tab. While any target is between states the list is polled.
import { useEffect, useMemo, useState } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { CreateComputeDialog } from "./CreateComputeDialog";
import { displayState, isTransitional, sizeText, TYPE_NAMES } from "./computeState";
import { openJupyter } from "./jupyter";
import "./compute.css";

type ComputeOut = Schemas["ComputeOut"];
type Operation = "start" | "stop" | "restart";
const POLL_MS = 2000;

interface Row extends ComputeOut {
  cost: number | null;
  hours: number | null;
}

export function ComputePage() {
  const { pathParams, scope } = useWorkspace();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ComputeOut | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const list = useAsync(async () => {
    const path = { params: { path: pathParams } };
    const base = "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}" as const;
    // Usage may be refused or fail on its own: the list still shows, without costs.
    const [targets, usage] = await Promise.all([
      unwrap(api.GET(`${base}/computes`, path)),
      unwrap(api.GET(`${base}/computeUsage`, path)).catch(() => null),
    ]);
    const byName = new Map((usage?.instances ?? []).map((u) => [u.name, u]));
    return targets.map((t): Row => ({ ...t, cost: byName.get(t.name)?.cost ?? null, hours: byName.get(t.name)?.hours ?? null }));
  }, [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName]);

  const busy = (list.data ?? []).some(isTransitional);
  useEffect(() => {
    if (!busy || list.loading) return;
    const t = setTimeout(list.reload, POLL_MS);
    return () => clearTimeout(t);
  }, [busy, list.loading, list.data, list.reload]);

  async function operate(c: ComputeOut, op: Operation) {
    setActionError(null);
    try {
      await unwrap(
        api.POST(`/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/computes/{computeName}/${op}`, {
          params: { path: { ...pathParams, computeName: c.name } },
        }),
      );
    } catch (e) {
      setActionError(e);
    }
    list.reload();
  }

  async function open(c: ComputeOut) {
    setActionError(null);
    try {
      await openJupyter(pathParams, c.name);
    } catch (e) {
      setActionError(e);
    }
  }

  const columns: Column<Row>[] = [
    { key: "name", header: "Name", sortable: true, render: (c) => <span className="mono">{c.name}</span> },
    { key: "computeType", header: "Type", sortable: true, render: (c) => TYPE_NAMES[c.computeType] ?? c.computeType },
    {
      key: "state",
      header: "State",
      sortable: true,
      render: (c) => (
        <span title={c.provisioningError ?? undefined}>
          <StatusChip status={displayState(c)} />
        </span>
      ),
    },
    { key: "vmSize", header: "Size", sortable: true, render: sizeText },
    {
      key: "cost",
      header: "Cost so far",
      sortable: true,
      align: "right",
      render: (c) => (c.cost == null ? <span className="muted">—</span> : <span title={`${c.hours?.toFixed(2)} hours`}>{c.cost.toFixed(2)}</span>),
    },
    { key: "createdAt", header: "Created", sortable: true, render: (c) => formatTime(c.createdAt) },
    { key: "actions", header: "", render: (c) => <Actions c={c} scope={scope} onOperate={operate} onOpen={open} onDelete={setDeleting} /> },
  ];
  const fetchPage = useMemo(
    () => localPages(list.data ?? [], (c) => `${c.name} ${c.computeType} ${displayState(c)} ${c.vmSize ?? ""}`),
    [list.data],
  );

  return (
    <Page
      title="Compute"
      subtitle="Compute instances for notebooks, clusters for jobs. Cost is hours running times the size's price."
      actions={
        <GuardedButton action="workspaces/computes/write" scope={scope} className="btn btn-primary" showReason onClick={() => setCreating(true)}>
          Create compute
        </GuardedButton>
      }
    >
      <ErrorBanner error={list.error} onRetry={list.reload} />
      <ErrorBanner error={actionError} />
      {list.data && (
        <DataTable
          label="Compute targets"
          columns={columns}
          rowKey={(c) => c.id}
          fetchPage={fetchPage}
          reloadKey={list.data}
          initialSort={{ key: "name", desc: false }}
          filterPlaceholder="Filter by name, type, state or size"
          empty={
            <EmptyState
              title="No compute targets yet"
              code={`mlyard compute create --name my-instance --type computeinstance --size small\n\n# or from Python\nfrom mlyard import ComputeInstance, ComputeTarget, Workspace\nws = Workspace.from_config()\nComputeTarget.create(ws, "my-instance", ComputeInstance.provisioning_configuration(vm_size="small"))`}
            >
              Create a compute instance to run JupyterLab, or a Ray cluster to run jobs.
            </EmptyState>
          }
        />
      )}
      {creating && (
        <CreateComputeDialog
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
      <ConfirmDialog
        open={deleting != null}
        title={`Delete ${deleting?.name ?? ""}`}
        confirmText={deleting?.name ?? ""}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await unwrap(
            api.DELETE("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/computes/{computeName}", {
              params: { path: { ...pathParams, computeName: deleting.name } },
            }),
          );
          list.reload();
        }}
      >
        The target is stopped and removed; its usage history stays. Jobs queued on it fail.
      </ConfirmDialog>
    </Page>
  );
}

function Actions({
  c,
  scope,
  onOperate,
  onOpen,
  onDelete,
}: {
  c: ComputeOut;
  scope: string;
  onOperate: (c: ComputeOut, op: Operation) => Promise<void>;
  onOpen: (c: ComputeOut) => Promise<void>;
  onDelete: (c: ComputeOut) => void;
}) {
  if (c.computeType === "local") return <span className="muted small">Always available</span>;
  const ready = c.provisioningState === "Succeeded";
  const state = c.state ?? "";
  const lifecycle = c.computeType === "computeinstance";
  const why = (ok: boolean, reason: string) => (ok ? undefined : reason);
  const running = ready && state === "Running";
  const stopped = ready && (state === "Stopped" || state === "Failed");
  return (
    <div className="compute-actions" onClick={(e) => e.stopPropagation()}>
      {lifecycle && (
        <>
          <GuardedButton
            action="workspaces/notebooks/vm/write"
            scope={scope}
            className="btn btn-small btn-primary"
            disabled={!running}
            title={why(running, "JupyterLab opens once the instance is Running.")}
            onClick={() => void onOpen(c)}
            aria-label="Open JupyterLab"
          >
            JupyterLab ↗
          </GuardedButton>
          <GuardedButton action="workspaces/computes/start/action" scope={scope} className="btn btn-small" disabled={!stopped} title={why(stopped, `It is ${displayState(c)}: only a stopped instance starts.`)} onClick={() => void onOperate(c, "start")}>
            Start
          </GuardedButton>
          <GuardedButton action="workspaces/computes/stop/action" scope={scope} className="btn btn-small" disabled={!running} title={why(running, `It is ${displayState(c)}: only a running instance stops.`)} onClick={() => void onOperate(c, "stop")}>
            Stop
          </GuardedButton>
          <GuardedButton action="workspaces/computes/restart/action" scope={scope} className="btn btn-small" disabled={!running} title={why(running, `It is ${displayState(c)}: only a running instance restarts.`)} onClick={() => void onOperate(c, "restart")}>
            Restart
          </GuardedButton>
        </>
      )}
      <GuardedButton
        action="workspaces/computes/delete"
        scope={scope}
        className="btn btn-small btn-danger"
        disabled={c.provisioningState === "Deleting"}
        title={why(c.provisioningState !== "Deleting", "It is being deleted.")}
        onClick={() => onDelete(c)}
      >
        Delete
      </GuardedButton>
    </div>
  );
}
