// Role assignments at the workspace, with those inherited from the resource group, the
// subscription or the root marked (they are removed where they were made); add and remove.
import { useMemo, useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { clearAccessCache, GuardedButton } from "../../components/access";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Modal } from "../../components/Modal";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { PrincipalPicker } from "./principals";

type RoleAssignmentOut = Schemas["RoleAssignmentOut"];

function sameScope(a: string, b: string): boolean {
  return a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();
}

export function AssignmentsTab() {
  const { scope } = useWorkspace();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<RoleAssignmentOut | null>(null);
  const list = useAsync(() => unwrap(api.GET("/api/v1/roleAssignments", { params: { query: { scope, includeInherited: true } } })), [scope]);

  const columns: Column<RoleAssignmentOut>[] = [
    { key: "principalName", header: "Principal", sortable: true, render: (a) => <span className="mono">{a.principalName}</span> },
    { key: "principalType", header: "Type", sortable: true },
    { key: "roleDefinitionName", header: "Role", sortable: true },
    {
      key: "scope",
      header: "Scope",
      sortable: true,
      render: (a) =>
        sameScope(a.scope, scope) ? (
          "This workspace"
        ) : (
          <span>
            <span className="badge access-inherited">inherited</span> <span className="mono small">{a.scope}</span>
          </span>
        ),
    },
    { key: "createdAt", header: "Assigned", sortable: true, render: (a) => formatTime(a.createdAt) },
    {
      key: "actions",
      header: "",
      render: (a) => {
        const inherited = !sameScope(a.scope, scope);
        return (
          <GuardedButton
            action="roleAssignments/delete"
            scope={a.scope}
            className="btn btn-small btn-danger"
            disabled={inherited}
            title={inherited ? `Inherited from ${a.scope}: remove it there.` : undefined}
            onClick={() => setRemoving(a)}
            aria-label={`Remove ${a.roleDefinitionName} from ${a.principalName}`}
          >
            Remove
          </GuardedButton>
        );
      },
    },
  ];
  const fetchPage = useMemo(
    () => localPages(list.data ?? [], (a) => `${a.principalName} ${a.principalType} ${a.roleDefinitionName} ${a.scope}`),
    [list.data],
  );

  return (
    <>
      <div className="access-toolbar">
        <GuardedButton action="roleAssignments/write" scope={scope} className="btn btn-primary" showReason onClick={() => setAdding(true)}>
          Add role assignment
        </GuardedButton>
      </div>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.data && (
        <DataTable
          label="Role assignments"
          columns={columns}
          rowKey={(a) => a.id}
          fetchPage={fetchPage}
          reloadKey={list.data}
          initialSort={{ key: "principalName", desc: false }}
          filterPlaceholder="Filter by principal, role or scope"
          empty={
            <EmptyState title="No role assignments here" code={`mlyard role assignment create --assignee alice --role "Data Scientist" --scope ${scope}`}>
              Grant a user, group or service principal a role on this workspace.
            </EmptyState>
          }
        />
      )}
      {adding && (
        <AddAssignmentDialog
          onClose={() => setAdding(false)}
          onAdded={() => {
            setAdding(false);
            clearAccessCache();
            list.reload();
          }}
        />
      )}
      <ConfirmDialog
        open={removing != null}
        title="Remove role assignment"
        confirmText={removing?.principalName ?? ""}
        actionLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          await unwrap(api.DELETE("/api/v1/roleAssignments/{assignmentId}", { params: { path: { assignmentId: removing.id } } }));
          clearAccessCache();
          list.reload();
        }}
      >
        {removing && (
          <>
            {removing.principalName} loses the role <strong>{removing.roleDefinitionName}</strong> on this workspace.
          </>
        )}
      </ConfirmDialog>
    </>
  );
}

function AddAssignmentDialog({ onClose, onAdded }: { onClose: () => void; onAdded: () => void }) {
  const { scope } = useWorkspace();
  const [assignee, setAssignee] = useState("");
  const [role, setRole] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const roles = useAsync(() => unwrap(api.GET("/api/v1/roleDefinitions")), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST("/api/v1/roleAssignments", { body: { assignee, role, scope } }));
      onAdded();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal title="Add role assignment" onClose={onClose} wide>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <p className="muted small">
          Scope: <span className="mono">{scope}</span>
        </p>
        <PrincipalPicker value={assignee} onChange={setAssignee} />
        <label className="field">
          <span>Role</span>
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">Choose…</option>
            {(roles.data ?? []).map((r) => (
              <option key={r.id} value={r.name} title={r.description}>
                {r.isCustom ? `${r.name} (custom)` : r.name}
              </option>
            ))}
          </select>
        </label>
        <ErrorBanner error={roles.error || error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <GuardedButton action="roleAssignments/write" scope={scope} type="submit" className="btn btn-primary" disabled={!assignee || !role || busy}>
            {busy ? "Adding…" : "Add"}
          </GuardedButton>
        </div>
      </form>
    </Modal>
  );
}
