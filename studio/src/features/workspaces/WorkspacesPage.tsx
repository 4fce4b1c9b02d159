// Every workspace the user can read, across subscriptions and resource groups.
import { useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api, unwrap, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { formatTags, formatTime, principalLabel } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { workspaceBase } from "../../lib/workspace";
import { CreateWorkspaceDialog } from "./CreateWorkspaceDialog";

type WorkspaceOut = Schemas["WorkspaceOut"];

export function WorkspacesPage() {
  const [params, setParams] = useSearchParams();
  const subscription = params.get("subscription") ?? "";
  const resourceGroup = params.get("resourceGroup") ?? "";
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const { me } = useSession();
  const subs = useAsync(() => unwrap(api.GET("/api/v1/subscriptions")), []);
  const list = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/workspaces", {
          params: { query: { subscriptionId: subscription || undefined, resourceGroup: resourceGroup || undefined } },
        }),
      ),
    [subscription, resourceGroup],
  );

  const columns: Column<WorkspaceOut>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      render: (w) => <Link to={workspaceBase(w.subscriptionId, w.resourceGroup, w.name)}>{w.name}</Link>,
    },
    { key: "subscriptionId", header: "Subscription", sortable: true },
    { key: "resourceGroup", header: "Resource group", sortable: true },
    { key: "location", header: "Location", sortable: true },
    {
      key: "createdBy",
      header: "Created by",
      sortable: true,
      render: (w) => <span title={w.createdBy ?? undefined}>{principalLabel(w.createdBy, me?.id)}</span>,
    },
    { key: "creationTime", header: "Created", sortable: true, render: (w) => formatTime(w.creationTime) },
    { key: "tags", header: "Tags", render: (w) => <span className="muted">{formatTags(w.tags)}</span> },
  ];
  const fetchPage = useMemo(
    () =>
      localPages(
        list.data ?? [],
        (w) => `${w.name} ${w.subscriptionId} ${w.resourceGroup} ${w.location} ${w.description ?? ""} ${formatTags(w.tags)}`,
      ),
    [list.data],
  );

  function setScope(sub: string, rg: string) {
    const next = new URLSearchParams();
    if (sub) next.set("subscription", sub);
    if (sub && rg) next.set("resourceGroup", rg);
    setParams(next);
  }

  return (
    <Page
      title="Workspaces"
      subtitle="Every workspace you can read, across your subscriptions and resource groups."
      actions={
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          Create workspace
        </button>
      }
    >
      <ErrorBanner error={list.error || subs.error} onRetry={list.reload} />
      {list.data && (
        <DataTable
          label="Workspaces"
          columns={columns}
          rowKey={(w) => w.id}
          fetchPage={fetchPage}
          reloadKey={list.data}
          initialSort={{ key: "name", desc: false }}
          filterPlaceholder="Filter by name, group, tag…"
          toolbar={
            <>
              <select aria-label="Subscription" value={subscription} onChange={(e) => setScope(e.target.value, "")}>
                <option value="">All subscriptions</option>
                {(subs.data ?? []).map((s) => (
                  <option key={s.subscriptionId} value={s.subscriptionId}>
                    {s.displayName || s.subscriptionId}
                  </option>
                ))}
              </select>
              {resourceGroup && (
                <button type="button" className="btn btn-small" onClick={() => setScope(subscription, "")}>
                  Resource group: {resourceGroup} ×
                </button>
              )}
            </>
          }
          empty={
            <EmptyState
              title="No workspaces yet"
              action={
                <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
                  Create workspace
                </button>
              }
              code={'from mlyard import Workspace\nWorkspace.create("my-workspace", subscription_id="my-sub", resource_group="my-rg", create_resource_group=True)'}
            >
              A workspace holds your experiments, compute, data and access. Create one here or from the SDK.
            </EmptyState>
          }
        />
      )}
      {creating && (
        <CreateWorkspaceDialog
          subscriptions={subs.data ?? []}
          initialSubscription={subscription}
          onClose={() => setCreating(false)}
          onCreated={(w) => navigate(workspaceBase(w.subscriptionId, w.resourceGroup, w.name))}
        />
      )}
    </Page>
  );
}
