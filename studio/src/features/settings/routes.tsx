// Workspace settings: details, tags, supporting resources, and delete with a typed confirmation.
import { useEffect, useMemo, useState } from "react";
import { useNavigate, type RouteObject } from "react-router-dom";
import { api, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { TagsEditor, cleanTags } from "../../components/TagsEditor";
import { useSession } from "../../auth/session";
import { formatTime, principalLabel } from "../../lib/format";
import { useWorkspace } from "../../lib/workspace";

type SupportingResourceOut = Schemas["SupportingResourceOut"];

const RESOURCE_COLUMNS: Column<SupportingResourceOut>[] = [
  { key: "kind", header: "Kind", sortable: true },
  { key: "name", header: "Name", sortable: true },
  { key: "status", header: "Status", sortable: true, render: (r) => <StatusChip status={r.status} /> },
  { key: "location", header: "Location", sortable: true },
];

function SettingsPage() {
  const { workspace, scope, pathParams, ws, reload } = useWorkspace();
  const navigate = useNavigate();
  const { me } = useSession();
  const [friendlyName, setFriendlyName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const [withResources, setWithResources] = useState(false);

  useEffect(() => {
    if (!workspace) return;
    setFriendlyName(workspace.friendlyName ?? "");
    setDescription(workspace.description ?? "");
    setTags(workspace.tags ?? {});
  }, [workspace]);

  const resources = useMemo(
    () => localPages(workspace?.supportingResources ?? [], (r) => `${r.kind} ${r.name} ${r.status}`),
    [workspace],
  );

  async function save() {
    setError(null);
    setSaved(false);
    try {
      await unwrap(
        api.PATCH("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}", {
          params: { path: pathParams },
          body: { friendlyName: friendlyName || null, description: description || null, tags: cleanTags(tags) },
        }),
      );
      setSaved(true);
      reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <Page title="Settings" subtitle={workspace?.id}>
      <ErrorBanner error={error} />
      <div className="panel">
        <h2>Details</h2>
        <dl className="facts">
          <div>
            <dt>Name</dt>
            <dd>{ws}</dd>
          </div>
          <div>
            <dt>Workspace id</dt>
            <dd className="mono">{workspace?.workspaceId ?? "…"}</dd>
          </div>
          <div>
            <dt>Location</dt>
            <dd>{workspace?.location ?? "…"}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              {formatTime(workspace?.creationTime)} {workspace?.createdBy && `by ${principalLabel(workspace.createdBy, me?.id)}`}
            </dd>
          </div>
          <div>
            <dt>Discovery URL</dt>
            <dd className="mono">{workspace?.discoveryUrl ?? "…"}</dd>
          </div>
        </dl>
        <div className="field-grid">
          <label className="field">
            <span>Display name</span>
            <input aria-label="Display name" value={friendlyName} onChange={(e) => setFriendlyName(e.target.value)} />
          </label>
          <label className="field">
            <span>Description</span>
            <input aria-label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
        </div>
        <div className="field">
          <span>Tags</span>
          <TagsEditor value={tags} onChange={setTags} />
        </div>
        <div className="row">
          <GuardedButton action="workspaces/write" scope={scope} className="btn btn-primary" onClick={() => void save()} showReason>
            Save
          </GuardedButton>
          {saved && <span className="field-ok">Saved.</span>}
        </div>
      </div>
      <div className="panel">
        <h2>Supporting resources</h2>
        <p className="muted">The storage, key vault, monitoring and environment registry the workspace was created with.</p>
        <DataTable label="Supporting resources" columns={RESOURCE_COLUMNS} rowKey={(r) => r.id} fetchPage={resources} reloadKey={workspace} noFilter />
      </div>
      <div className="panel panel-danger">
        <h2>Delete this workspace</h2>
        <p>
          Deleting removes the workspace and the role assignments made in it. Its supporting resources (the
          storage with run files and datasets, the vault with its secrets) are kept, detached, unless you choose to
          delete them too.
        </p>
        <label className="check">
          <input type="checkbox" checked={withResources} onChange={(e) => setWithResources(e.target.checked)} />
          Also delete its supporting resources
        </label>
        <GuardedButton action="workspaces/delete" scope={scope} className="btn btn-danger" onClick={() => setDeleting(true)} showReason>
          Delete workspace
        </GuardedButton>
      </div>
      <ConfirmDialog
        open={deleting}
        title={`Delete the workspace '${ws}'?`}
        confirmText={ws}
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await unwrap(
            api.DELETE("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}", {
              params: { path: pathParams, query: { deleteDependentResources: withResources } },
            }),
          );
          navigate("/", { replace: true });
        }}
      >
        This cannot be undone. {withResources ? "Its supporting resources and their contents are deleted too." : "Its supporting resources are kept."}
      </ConfirmDialog>
    </Page>
  );
}

export const routes: RouteObject[] = [{ path: "settings", element: <SettingsPage /> }];
