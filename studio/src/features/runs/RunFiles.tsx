// A run's files: browse its folders, preview text and images, download any file.
import { useEffect, useMemo, useState } from "react";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { crumbs, folderEntries, formatBytes, previewKind, TEXT_PREVIEW_BYTES } from "./files";
import { downloadFile, fileBlob, listFiles, type Ws } from "./runsApi";

function Preview({ ws, runId, name, size }: { ws: Ws; runId: string; name: string; size: number }) {
  const kind = previewKind(name);
  const [text, setText] = useState<string | null>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setText(null);
    setUrl(null);
    setError(null);
    if (kind === "none") return;
    const abort = new AbortController();
    let made: string | null = null;
    fileBlob(ws, runId, name, abort.signal)
      .then(async (blob) => {
        if (kind === "image") setUrl((made = URL.createObjectURL(blob)));
        else setText(await blob.slice(0, TEXT_PREVIEW_BYTES).text());
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(e));
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [ws, runId, name, kind]);
  return (
    <section className="runs-file-preview panel" data-testid="file-preview" aria-label={`Preview of ${name}`}>
      <header className="runs-panel-header">
        <h3 className="mono">{name}</h3>
        <button type="button" className="btn btn-small" onClick={() => void downloadFile(ws, runId, name).catch(setError)}>
          Download
        </button>
      </header>
      <ErrorBanner error={error} />
      {kind === "none" && <p className="muted">No preview for this kind of file ({formatBytes(size)}): download it.</p>}
      {url && <img className="runs-image" src={url} alt={name} />}
      {text !== null && (
        <>
          <pre className="code-block runs-file-text">{text}</pre>
          {size > TEXT_PREVIEW_BYTES && <p className="muted runs-small">The first {formatBytes(TEXT_PREVIEW_BYTES)} of {formatBytes(size)}.</p>}
        </>
      )}
    </section>
  );
}

export function RunFiles({ ws, runId }: { ws: Ws; runId: string }) {
  const files = useAsync(() => listFiles(ws, runId), [runId]);
  const [folder, setFolder] = useState("");
  const [open, setOpen] = useState<{ name: string; size: number } | null>(null);
  const all = files.data?.value ?? [];
  const entries = useMemo(() => folderEntries(all, folder), [all, folder]);
  if (files.error) return <ErrorBanner error={files.error} onRetry={files.reload} />;
  if (files.data && !all.length) {
    return (
      <EmptyState title="No files in this run" code={'run.upload_file("outputs/model.pkl", "model.pkl")\n# or write into ./outputs in a submitted script'}>
        Files a run uploads, and whatever a submitted script writes into <code>./outputs</code>, show here.
      </EmptyState>
    );
  }
  return (
    <div className="runs-files">
      <nav className="runs-crumbs" aria-label="Folder">
        {crumbs(folder).map(([path, label], i) => (
          <span key={path}>
            {i > 0 && " / "}
            <button type="button" className="runs-link-button" onClick={() => (setFolder(path), setOpen(null))}>
              {label}
            </button>
          </span>
        ))}
      </nav>
      <div className="runs-files-split">
        <table className="table runs-table-compact" aria-label="Files">
          <thead>
            <tr>
              <th>Name</th>
              <th style={{ textAlign: "right" }}>Size</th>
              <th>Modified</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr
                key={e.path}
                className="clickable"
                aria-selected={open?.name === e.path || undefined}
                onClick={() => (e.kind === "folder" ? (setFolder(e.path), setOpen(null)) : setOpen({ name: e.path, size: e.size }))}
              >
                <td>
                  {e.kind === "folder" ? "📁 " : ""}
                  <span className="mono">{e.label}</span>
                  {e.kind === "folder" && <span className="muted runs-small"> ({e.count} files)</span>}
                </td>
                <td style={{ textAlign: "right" }}>{formatBytes(e.size)}</td>
                <td>{e.kind === "file" ? formatTime(all.find((f) => f.name === e.path)?.modifiedUtc) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {open && <Preview ws={ws} runId={runId} name={open.name} size={open.size} />}
      </div>
    </div>
  );
}
