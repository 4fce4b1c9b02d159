// The workspace's notebooks folder: list, upload a .ipynb, download, and open one in JupyterLab
// of a running compute instance (every instance's Jupyter works in this same folder).
import { useMemo, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { ApiError, api, getToken, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { formatBytes } from "../data/dataFormat";
import { openJupyter } from "../compute/jupyter";
import "./notebooks.css";

type NotebookOut = Schemas["NotebookOut"];
const WS = "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}" as const;

function notebookPath(base: string, name: string): string {
  return `${base}/notebooks/${name.split("/").map(encodeURIComponent).join("/")}`;
}

export function NotebooksPage() {
  const { pathParams, scope, base } = useWorkspace();
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [instance, setInstance] = useState("");
  const file = useRef<HTMLInputElement>(null);
  const deps = [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName];
  const list = useAsync(() => unwrap(api.GET(`${WS}/notebooks`, { params: { path: pathParams } })), deps);
  const computes = useAsync(() => unwrap(api.GET(`${WS}/computes`, { params: { path: pathParams } })).catch(() => []), deps);
  const running = (computes.data ?? []).filter((c) => c.computeType === "computeinstance" && c.provisioningState === "Succeeded" && c.state === "Running");
  const chosen = running.find((c) => c.name === instance)?.name ?? running[0]?.name ?? "";
  const apiBase = `/api/v1/subscriptions/${encodeURIComponent(pathParams.subscriptionId)}/resourceGroups/${encodeURIComponent(pathParams.resourceGroupName)}/workspaces/${encodeURIComponent(pathParams.workspaceName)}`;

  async function upload(picked: File, overwrite = false) {
    setError(null);
    setNote(null);
    if (!picked.name.endsWith(".ipynb")) {
      setError(new Error(`'${picked.name}' is not a notebook: choose a .ipynb file.`));
      return;
    }
    // The body is the file itself (streamed by the server), so this is a plain fetch, not JSON.
    const url = `${notebookPath(apiBase, picked.name)}${overwrite ? "?overwrite=true" : ""}`;
    const answer = await fetch(url, { method: "PUT", body: picked, headers: { Authorization: `Bearer ${getToken() ?? ""}`, "Content-Type": "application/octet-stream" } });
    if (!answer.ok) {
      const failure = ApiError.from(answer.status, await answer.json().catch(() => null));
      if (failure.status === 409 && !overwrite && window.confirm(`${failure.message}\n\nReplace it?`)) return upload(picked, true);
      setError(failure);
      return;
    }
    setNote(`Uploaded ${picked.name}.`);
    list.reload();
  }

  async function download(n: NotebookOut) {
    setError(null);
    const answer = await fetch(notebookPath(apiBase, n.name), { headers: { Authorization: `Bearer ${getToken() ?? ""}` } });
    if (!answer.ok) {
      setError(ApiError.from(answer.status, await answer.json().catch(() => null)));
      return;
    }
    const href = URL.createObjectURL(await answer.blob());
    const a = document.createElement("a");
    a.href = href;
    a.download = n.name.split("/").pop() ?? n.name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }

  async function open(n: NotebookOut) {
    setError(null);
    try {
      await openJupyter(pathParams, chosen, n.name);
    } catch (e) {
      setError(e);
    }
  }

  const columns: Column<NotebookOut>[] = [
    { key: "name", header: "Name", sortable: true, render: (n) => <span className="mono">{n.name}</span> },
    { key: "size", header: "Size", sortable: true, align: "right", render: (n) => formatBytes(n.size) },
    { key: "modifiedUtc", header: "Modified", sortable: true, render: (n) => formatTime(n.modifiedUtc) },
    {
      key: "actions",
      header: "",
      render: (n) => (
        <div className="notebooks-actions">
          <button type="button" className="btn btn-small" onClick={() => void download(n)}>
            Download
          </button>
          <GuardedButton
            action="workspaces/notebooks/vm/write"
            scope={scope}
            className="btn btn-small btn-primary"
            disabled={!chosen}
            title={chosen ? `Open in ${chosen}` : "No compute instance of yours is running: start one on the Compute page."}
            onClick={() => void open(n)}
          >
            Open in JupyterLab
          </GuardedButton>
        </div>
      ),
    },
  ];
  const fetchPage = useMemo(() => localPages(list.data?.value ?? [], (n) => n.name), [list.data]);

  return (
    <Page
      title="Notebooks"
      subtitle="The workspace's notebooks folder: every compute instance's JupyterLab opens it."
      actions={
        <>
          <input ref={file} type="file" accept=".ipynb" hidden aria-label="Notebook file" onChange={(e) => { const f = e.target.files?.[0]; e.target.value = ""; if (f) void upload(f); }} />
          <GuardedButton action="workspaces/notebooks/storage/write" scope={scope} className="btn btn-primary" showReason onClick={() => file.current?.click()}>
            Upload notebook
          </GuardedButton>
        </>
      }
    >
      <div className="notebooks-instance muted small">
        {running.length > 1 ? (
          <label>
            Open in{" "}
            <select aria-label="Compute instance" value={chosen} onChange={(e) => setInstance(e.target.value)}>
              {running.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        ) : running.length === 1 ? (
          <>Notebooks open in the running instance <span className="mono">{chosen}</span>.</>
        ) : (
          <>
            No compute instance is running: <Link to={`${base}/compute`}>start one</Link> to open notebooks in JupyterLab.
          </>
        )}
      </div>
      <ErrorBanner error={list.error || error} onRetry={list.error ? list.reload : undefined} />
      {note && <p className="field-ok">{note}</p>}
      {list.data && (
        <DataTable
          label="Notebooks"
          columns={columns}
          rowKey={(n) => n.name}
          fetchPage={fetchPage}
          reloadKey={list.data}
          initialSort={{ key: "name", desc: false }}
          empty={
            <EmptyState title="No notebooks yet" code={`mlyard notebook upload ./analysis.ipynb\n\n# or from Python\nfrom mlyard import Notebook, Workspace\nNotebook.upload(Workspace.from_config(), "analysis.ipynb")`}>
              Upload a .ipynb here, or write one in JupyterLab on a compute instance: it is saved to this folder.
            </EmptyState>
          }
        />
      )}
    </Page>
  );
}
