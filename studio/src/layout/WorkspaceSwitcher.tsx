// The workspace switcher in the top bar: every workspace the user can read, grouped by
// subscription / resource group; choosing one keeps the current section when it can.
import { useEffect, useRef, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { api, unwrap, type Schemas } from "../api/client";
import { workspaceBase } from "../lib/workspace";

type WorkspaceOut = Schemas["WorkspaceOut"];

export function WorkspaceSwitcher() {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<WorkspaceOut[] | null>(null);
  const [filter, setFilter] = useState("");
  const navigate = useNavigate();
  const location = useLocation();
  // The top bar sits above the workspace route, so the workspace comes from the URL itself.
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/workspaces\/([^/]+)(?:\/([^/]*))?/.exec(location.pathname);
  const [sub, rg, ws] = m ? [m[1], m[2], m[3]].map(decodeURIComponent) : [undefined, undefined, undefined];
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    void unwrap(api.GET("/api/v1/workspaces", {})).then(setItems, () => setItems([]));
    const close = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const current = ws ? `${ws}` : "Choose a workspace";
  const section = m?.[4] ?? "";
  const needle = filter.toLowerCase();
  const shown = (items ?? []).filter((w) => `${w.subscriptionId} ${w.resourceGroup} ${w.name}`.toLowerCase().includes(needle));

  return (
    <div className="switcher" ref={box}>
      <button type="button" className="switcher-button" onClick={() => setOpen((o) => !o)} aria-haspopup="listbox" aria-expanded={open}>
        <span className="switcher-label">{current}</span>
        {ws && (
          <span className="switcher-context">
            {sub} / {rg}
          </span>
        )}
        <span aria-hidden>▾</span>
      </button>
      {open && (
        <div className="switcher-menu" role="listbox" aria-label="Workspaces">
          <input autoFocus className="filter-input" placeholder="Find a workspace" value={filter} onChange={(e) => setFilter(e.target.value)} />
          {items === null && <div className="switcher-empty">Loading…</div>}
          {items !== null && shown.length === 0 && <div className="switcher-empty">No workspace matches.</div>}
          {shown.map((w) => (
            <button
              key={w.id}
              type="button"
              role="option"
              aria-selected={w.name === ws && w.resourceGroup === rg && w.subscriptionId === sub}
              className="switcher-item"
              onClick={() => {
                setOpen(false);
                navigate(`${workspaceBase(w.subscriptionId, w.resourceGroup, w.name)}/${section}`);
              }}
            >
              <span>{w.name}</span>
              <span className="muted">
                {w.subscriptionId} / {w.resourceGroup}
              </span>
            </button>
          ))}
          <button type="button" className="switcher-item switcher-all" onClick={() => { setOpen(false); navigate("/"); }}>
            All workspaces…
          </button>
        </div>
      )}
    </div>
  );
}
