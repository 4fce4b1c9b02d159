// Role definitions, built-in and custom; a role's JSON on click; a custom role created by pasting
// JSON (mlyard's or Azure's custom-role JSON), checked here first and then by the server, whose
// validation message is shown as it answers.
import { useMemo, useState } from "react";
import { ApiError, api, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Modal } from "../../components/Modal";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { checkRoleJson, exampleRole } from "./roleJson";

type RoleDefinitionOut = Schemas["RoleDefinitionOut"];
type RoleDefinitionIn = Schemas["RoleDefinitionIn"];

export function RolesTab() {
  const { scope } = useWorkspace();
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<RoleDefinitionOut | null>(null);
  const list = useAsync(() => unwrap(api.GET("/api/v1/roleDefinitions")), []);

  const columns: Column<RoleDefinitionOut>[] = [
    { key: "name", header: "Name", sortable: true, render: (r) => <strong>{r.name}</strong> },
    { key: "roleType", header: "Type", sortable: true, render: (r) => (r.isCustom ? <span className="badge">custom</span> : "built-in") },
    { key: "actions", header: "Actions", align: "right", render: (r) => String(r.actions.length) },
    { key: "notActions", header: "Not actions", align: "right", render: (r) => String(r.notActions.length) },
    { key: "description", header: "Description", render: (r) => <span className="muted">{r.description}</span> },
  ];
  const fetchPage = useMemo(() => localPages(list.data ?? [], (r) => `${r.name} ${r.description} ${r.actions.join(" ")}`), [list.data]);

  return (
    <>
      <div className="access-toolbar">
        <GuardedButton action="roleDefinitions/write" scope={scope} className="btn btn-primary" showReason onClick={() => setCreating(true)}>
          Create custom role
        </GuardedButton>
      </div>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.data && (
        <DataTable
          label="Role definitions"
          columns={columns}
          rowKey={(r) => r.id}
          fetchPage={fetchPage}
          reloadKey={list.data}
          initialSort={{ key: "name", desc: false }}
          onRowClick={setShown}
          filterPlaceholder="Filter by name, description or action"
        />
      )}
      {shown && (
        <Modal title={shown.name} onClose={() => setShown(null)} wide>
          <p className="muted">{shown.description}</p>
          <pre className="code-block access-json">
            {JSON.stringify(
              { name: shown.name, isCustom: shown.isCustom, description: shown.description, actions: shown.actions, notActions: shown.notActions, dataActions: shown.dataActions, notDataActions: shown.notDataActions, assignableScopes: shown.assignableScopes },
              null,
              2,
            )}
          </pre>
        </Modal>
      )}
      {creating && (
        <CreateRoleDialog
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            list.reload();
          }}
        />
      )}
    </>
  );
}

export function CreateRoleDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (r: RoleDefinitionOut) => void }) {
  const { scope } = useWorkspace();
  const [text, setText] = useState(() => exampleRole(scope));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const check = checkRoleJson(text);

  async function submit() {
    if (!check.ok) return;
    setBusy(true);
    setError(null);
    try {
      // Sent as pasted: the server maps Azure's keys (and refuses what it does not know).
      const made = await unwrap(api.POST("/api/v1/roleDefinitions", { body: check.body as unknown as RoleDefinitionIn }));
      onCreated(made);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal title="Create a custom role" onClose={onClose} wide>
      <div className="form">
        <label className="field">
          <span>Role JSON (mlyard's or Azure's custom-role JSON)</span>
          <textarea
            aria-label="Role JSON"
            className="mono access-json-input"
            rows={16}
            spellCheck={false}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
          />
        </label>
        {check.ok ? (
          <span className="field-ok" data-testid="role-json-check">
            {`${check.flavour === "azure" ? "Azure custom role" : "mlyard role"} '${check.name}' with ${check.actions} action${check.actions === 1 ? "" : "s"}.`}
          </span>
        ) : (
          <span className="field-error" data-testid="role-json-check">
            {check.error}
          </span>
        )}
        {error instanceof ApiError && error.target && <span className="field-note">Field: {error.target}</span>}
        <ErrorBanner error={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <GuardedButton action="roleDefinitions/write" scope={scope} className="btn btn-primary" disabled={!check.ok || busy} onClick={() => void submit()}>
            {busy ? "Creating…" : "Create role"}
          </GuardedButton>
        </div>
      </div>
    </Modal>
  );
}
