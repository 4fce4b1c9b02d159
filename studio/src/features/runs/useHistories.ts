// Metric histories for charts, fetched packed and downsampled to about the chart's width.
import { useEffect, useState } from "react";
import type { Ws } from "./runsApi";
import { metricHistory } from "./runsApi";
import type { Series } from "./series";

export interface HistoryRequest {
  runId: string;
  metric: string;
}

export interface Histories {
  series: (Series | null)[];
  error: unknown;
  loading: boolean;
}

// Histories asked for before their chart mounts (prefetchHistory), taken once by useHistories.
const early = new Map<string, Promise<Series>>();

function earlyKey(ws: Ws, runId: string, metric: string, maxPoints: number): string {
  return JSON.stringify([ws, runId, metric, maxPoints]);
}

/** Start reading a history now; the chart that mounts next with the same arguments takes it. */
export function prefetchHistory(ws: Ws, runId: string, metric: string, maxPoints: number): void {
  const k = earlyKey(ws, runId, metric, maxPoints);
  if (early.has(k)) return;
  const got = metricHistory(ws, runId, metric, maxPoints);
  got.catch(() => undefined); // the chart that takes it shows the error; none taking it is no error
  early.set(k, got);
  // Not taken within a minute (the user went elsewhere): drop it, and read afresh next time.
  setTimeout(() => early.get(k) === got && early.delete(k), 60_000);
}

function take(ws: Ws, r: HistoryRequest, maxPoints: number, signal: AbortSignal): Promise<Series> {
  const k = earlyKey(ws, r.runId, r.metric, maxPoints);
  const got = early.get(k);
  if (got) {
    early.delete(k);
    return got;
  }
  return metricHistory(ws, r.runId, r.metric, maxPoints, signal);
}

/** Each (run, metric)'s history at about `maxPoints` points; refetched when they change. */
export function useHistories(ws: Ws, requests: HistoryRequest[], maxPoints: number): Histories {
  const [state, setState] = useState<Histories>({ series: [], error: null, loading: true });
  const key = JSON.stringify([ws, requests, maxPoints]);
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    Promise.all(requests.map((r) => take(ws, r, maxPoints, abort.signal)))
      .then((series) => setState({ series, error: null, loading: false }))
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setState({ series: [], error, loading: false });
      });
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}
