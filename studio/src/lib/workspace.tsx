// The workspace a page is in, from the URL /subscriptions/:sub/resourceGroups/:rg/workspaces/:ws/…
//
//   const { sub, rg, ws, scope, base, pathParams, workspace } = useWorkspace();
//   <Link to={`${base}/experiments`}>…</Link>
//   api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/…",
//           { params: { path: { ...pathParams, … } } })
import { createContext, useContext, type ReactNode } from "react";
import { workspaceScope, type Schemas } from "../api/client";

export type WorkspaceOut = Schemas["WorkspaceOut"];

export interface WorkspaceContextValue {
  sub: string;
  rg: string;
  ws: string;
  /** The scope path, as access checks and role assignments name it. */
  scope: string;
  /** The studio URL of the workspace; sections are `${base}/<section>`. */
  base: string;
  /** The three path parameters of every workspace route. */
  pathParams: { subscriptionId: string; resourceGroupName: string; workspaceName: string };
  /** The workspace as the server describes it (undefined while it loads). */
  workspace: WorkspaceOut | undefined;
  reload: () => void;
}

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

export function workspaceBase(sub: string, rg: string, ws: string): string {
  return `/subscriptions/${encodeURIComponent(sub)}/resourceGroups/${encodeURIComponent(rg)}/workspaces/${encodeURIComponent(ws)}`;
}

export function makeWorkspaceContext(
  sub: string,
  rg: string,
  ws: string,
  workspace: WorkspaceOut | undefined,
  reload: () => void,
): WorkspaceContextValue {
  return {
    sub,
    rg,
    ws,
    scope: workspaceScope(sub, rg, ws),
    base: workspaceBase(sub, rg, ws),
    pathParams: { subscriptionId: sub, resourceGroupName: rg, workspaceName: ws },
    workspace,
    reload,
  };
}

export function WorkspaceProvider({ value, children }: { value: WorkspaceContextValue; children: ReactNode }) {
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error("useWorkspace outside a workspace route");
  return value;
}
