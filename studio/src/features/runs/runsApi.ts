// The calls the experiment, run and job pages make, typed by the generated client; the packed
// metric history and file bytes go through fetch directly (openapi-fetch speaks JSON).
import { api, ApiError, getToken, unwrap, type Schemas } from "../../api/client";
import { decodeHistory, type Series } from "./series";

export type Run = Schemas["mlyard__api__tracking__RunOut"];
export type FoundRun = Schemas["FoundRunOut"];
export type Job = Schemas["JobOut"];
export type RunFile = Schemas["RunFileOut"];
export type JsonMetric = Schemas["JsonMetricOut"];
export type LatestMetric = Schemas["LatestMetricOut"];
export type Experiment = Schemas["ExperimentSummaryOut"];

/** The workspace a page is in, as every workspace route takes it. */
export interface Ws {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
}

export function wsPath(ws: Ws): string {
  const e = encodeURIComponent;
  return `/api/v1/subscriptions/${e(ws.subscriptionId)}/resourceGroups/${e(ws.resourceGroupName)}/workspaces/${e(ws.workspaceName)}`;
}

export function listExperiments(ws: Ws, view: "active" | "archived" | "all" = "active") {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/experiments", {
      params: { path: ws, query: { view } },
    }),
  );
}

export function runKeys(ws: Ws, experimentName: string) {
  return unwrap(
    api.GET(
      "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/experiments/{experimentName}/runKeys",
      { params: { path: { ...ws, experimentName } } },
    ),
  );
}

export interface SearchQuery {
  experimentNames?: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string | null;
}

export function searchRuns(ws: Ws, q: SearchQuery) {
  return unwrap(
    api.POST("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/search", {
      params: { path: ws },
      body: {
        experimentNames: q.experimentNames ?? null,
        filter: q.filter || null,
        orderBy: q.orderBy ?? null,
        maxResults: q.maxResults ?? 50,
        pageToken: q.pageToken ?? null,
        includeDeleted: false,
      },
    }),
  );
}

/** Runs by id, each with its latest metrics (one search). */
export async function runsById(ws: Ws, ids: string[]): Promise<FoundRun[]> {
  if (!ids.length) return [];
  const list = ids.map((i) => `'${i.replace(/'/g, "")}'`).join(", ");
  const page = await searchRuns(ws, { filter: `attributes.run_id IN (${list})`, maxResults: Math.min(ids.length, 1000) });
  const byId = new Map(page.runs.map((r) => [r.runId, r]));
  return ids.map((i) => byId.get(i)).filter((r): r is FoundRun => r !== undefined);
}

export function getRun(ws: Ws, runId: string) {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}", {
      params: { path: { ...ws, runId } },
    }),
  );
}

export function updateTags(ws: Ws, runId: string, tags: Record<string, string>, removeTags: string[]) {
  return unwrap(
    api.PATCH("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}", {
      params: { path: { ...ws, runId } },
      body: { tags, removeTags },
    }),
  );
}

export function cancelRun(ws: Ws, runId: string) {
  return unwrap(
    api.POST("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/cancel", {
      params: { path: { ...ws, runId } },
    }),
  );
}

export function getChildren(ws: Ws, runId: string) {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/children", {
      params: { path: { ...ws, runId } },
    }),
  );
}

/** The run's job, or null for a run that was not submitted (interactive, MLflow). */
export async function getJob(ws: Ws, runId: string): Promise<Job | null> {
  try {
    return await unwrap(
      api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/job", {
        params: { path: { ...ws, runId } },
      }),
    );
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function listJobs(ws: Ws, top = 500) {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/jobs", {
      params: { path: ws, query: { top } },
    }),
  );
}

export function readLog(ws: Ws, runId: string, offset: number) {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/logs", {
      params: { path: { ...ws, runId }, query: { offset } },
    }),
  );
}

export function inputDatasets(ws: Ws, runId: string) {
  return unwrap(
    api.GET(
      "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/inputDatasets",
      { params: { path: { ...ws, runId } } },
    ),
  );
}

export function runMetrics(ws: Ws, runId: string) {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/metrics", {
      params: { path: { ...ws, runId } },
    }),
  );
}

export function listFiles(ws: Ws, runId: string, prefix = "") {
  return unwrap(
    api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/files", {
      params: { path: { ...ws, runId }, query: { prefix } },
    }),
  );
}

async function authorizedFetch(url: string, signal?: AbortSignal): Promise<Response> {
  const token = getToken();
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "NetworkError", `The server could not be reached: ${(e as Error).message}`);
  }
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: ApiError.from says the status
    }
    throw ApiError.from(response.status, body);
  }
  return response;
}

function segments(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}

/** A metric's history, downsampled by the server to about `maxPoints`, read packed. */
export async function metricHistory(ws: Ws, runId: string, name: string, maxPoints: number, signal?: AbortSignal): Promise<Series> {
  const url = `${wsPath(ws)}/runs/${encodeURIComponent(runId)}/metrics/${segments(name)}?format=binary&maxPoints=${maxPoints}`;
  const response = await authorizedFetch(url, signal);
  return decodeHistory(await response.arrayBuffer());
}

export function fileUrl(ws: Ws, runId: string, name: string): string {
  return `${wsPath(ws)}/runs/${encodeURIComponent(runId)}/files/${segments(name)}`;
}

/** A run file's bytes (the download needs the bearer token, so no plain link). */
export async function fileBlob(ws: Ws, runId: string, name: string, signal?: AbortSignal): Promise<Blob> {
  return (await authorizedFetch(fileUrl(ws, runId, name), signal)).blob();
}

/** Save a run file through the browser's download. */
export async function downloadFile(ws: Ws, runId: string, name: string): Promise<void> {
  const url = URL.createObjectURL(await fileBlob(ws, runId, name));
  const a = document.createElement("a");
  a.href = url;
  a.download = name.split("/").pop() ?? name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
