// Opening a compute instance's JupyterLab in a new tab, as `mlyard compute open` does: ask the
// server for a ticket (POST …/computes/{name}/jupyter/open, valid once for two minutes), then
// let the new tab redeem it at the proxy, which sets the instance's session cookie and redirects
// to JupyterLab. The tab is opened before the request so that the browser keeps it a user
// gesture (a window.open after an await is blocked as a pop-up).
import { api, unwrap } from "../../api/client";

export interface WorkspacePath {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
}

/** The proxy's prefix of the instance (…/jupyter/) from a ticket URL (…/jupyter/open?ticket=…). */
export function proxyPrefix(ticketUrl: string): string {
  const at = ticketUrl.indexOf("/open?");
  return at >= 0 ? ticketUrl.slice(0, at + 1) : ticketUrl;
}

/** JupyterLab's URL of a notebook under the instance's root (the workspace's notebooks folder). */
export function notebookUrl(prefix: string, notebook: string): string {
  return `${prefix}lab/tree/${notebook.split("/").map(encodeURIComponent).join("/")}`;
}

async function ticket(path: WorkspacePath, computeName: string): Promise<string> {
  const made = await unwrap(
    api.POST("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/computes/{computeName}/jupyter/open", {
      params: { path: { ...path, computeName } },
    }),
  );
  return made.url;
}

/**
 * Open JupyterLab of a running instance in a new tab (with `notebook`, that notebook). Throws the
 * server's ApiError (not running, not yours, …) after closing the blank tab.
 */
export async function openJupyter(path: WorkspacePath, computeName: string, notebook?: string): Promise<void> {
  const tab = window.open("about:blank", "_blank");
  try {
    const url = await ticket(path, computeName);
    if (!notebook) {
      if (tab) tab.location.href = url;
      else window.location.assign(url);
      return;
    }
    // Redeem the ticket here (the answer's cookie is stored for the proxy's path), then send the
    // tab straight to the notebook rather than to JupyterLab's start page.
    await fetch(url, { redirect: "manual", credentials: "same-origin" });
    const target = notebookUrl(proxyPrefix(url), notebook);
    if (tab) tab.location.href = target;
    else window.location.assign(target);
  } catch (e) {
    tab?.close();
    throw e;
  }
}
