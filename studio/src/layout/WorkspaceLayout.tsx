// A workspace's frame: left navigation, breadcrumbs subscription / resource group / workspace,
// and the section's page (features/<feature>/routes.tsx) in the outlet.
import { Link, NavLink, Outlet, useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ErrorBanner } from "../components/ErrorBanner";
import { useAsync } from "../lib/useAsync";
import { makeWorkspaceContext, WorkspaceProvider, workspaceBase } from "../lib/workspace";

export const SECTIONS: { path: string; label: string; icon: string }[] = [
  { path: "", label: "Home", icon: "⌂" },
  { path: "notebooks", label: "Notebooks", icon: "✎" },
  { path: "experiments", label: "Experiments", icon: "⚗" },
  { path: "jobs", label: "Jobs", icon: "▶" },
  { path: "compute", label: "Compute", icon: "▣" },
  { path: "data", label: "Data", icon: "⛁" },
  { path: "models", label: "Models", icon: "◈" },
  { path: "endpoints", label: "Endpoints", icon: "⇄" },
  { path: "pipelines", label: "Pipelines", icon: "⋔" },
  { path: "access", label: "Access", icon: "⚑" },
  { path: "settings", label: "Settings", icon: "⚙" },
];

export function WorkspaceLayout() {
  const { sub = "", rg = "", ws = "" } = useParams();
  const found = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}", {
          params: { path: { subscriptionId: sub, resourceGroupName: rg, workspaceName: ws } },
        }),
      ),
    [sub, rg, ws],
  );
  const context = makeWorkspaceContext(sub, rg, ws, found.data, found.reload);
  const base = workspaceBase(sub, rg, ws);

  return (
    <WorkspaceProvider value={context}>
      <div className="workspace">
        <nav className="sidenav" aria-label="Workspace">
          {SECTIONS.map((s) => (
            <NavLink key={s.path} to={s.path ? `${base}/${s.path}` : base} end={!s.path} className="nav-item">
              <span className="nav-icon" aria-hidden>
                {s.icon}
              </span>
              {s.label}
            </NavLink>
          ))}
        </nav>
        <div className="workspace-content">
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to={`/?subscription=${encodeURIComponent(sub)}`}>{sub}</Link>
            <span className="sep">/</span>
            <Link to={`/?subscription=${encodeURIComponent(sub)}&resourceGroup=${encodeURIComponent(rg)}`}>{rg}</Link>
            <span className="sep">/</span>
            <Link to={base} aria-current="page">
              {ws}
            </Link>
          </nav>
          {found.error ? <ErrorBanner error={found.error} onRetry={found.reload} /> : <Outlet />}
        </div>
      </div>
    </WorkspaceProvider>
  );
}
