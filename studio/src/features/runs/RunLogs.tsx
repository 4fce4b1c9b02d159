// A submitted run's log, live: read from the last offset every second until the job says the
// log is complete (GET …/runs/{id}/logs?offset=), keeping the last few megabytes on screen.
import { useEffect, useRef, useState } from "react";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { StatusChip } from "../../components/StatusChip";
import { readLog, type Job, type Ws } from "./runsApi";

const POLL_MS = 1000;
const KEEP_CHARS = 2_000_000;

export function RunLogs({ ws, runId, job, onComplete }: { ws: Ws; runId: string; job: Job | null; onComplete?: () => void }) {
  const [text, setText] = useState("");
  const [done, setDone] = useState(false);
  const [status, setStatus] = useState<{ status: string; reason: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);
  const completed = useRef(onComplete);
  completed.current = onComplete;

  const hasJob = job != null;
  const wsKey = JSON.stringify(ws);
  useEffect(() => {
    if (!hasJob) return;
    let live = true;
    let offset = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setText("");
    setDone(false);
    async function poll() {
      try {
        const got = await readLog(ws, runId, offset);
        if (!live) return;
        offset = got.nextOffset;
        if (got.content) setText((t) => (t + got.content).slice(-KEEP_CHARS));
        setStatus({ status: got.status, reason: got.statusReason });
        setError(null);
        if (got.complete) {
          setDone(true);
          completed.current?.();
          return;
        }
        // More is waiting: read it at once; else wait for the script to write.
        timer = setTimeout(poll, got.nextOffset < got.size ? 0 : POLL_MS);
      } catch (e) {
        if (!live) return;
        setError(e);
        timer = setTimeout(poll, POLL_MS * 3);
      }
    }
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- ws by value: a new object for the same workspace is no reason to read again
  }, [wsKey, runId, hasJob]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [text, follow]);

  if (!job) {
    return (
      <EmptyState title="No job log for this run" code={'print("shown in the log of a submitted run")'}>
        This run was logged from a script or notebook, not submitted to a compute target: only submitted runs have a job log.
        Files it uploaded are on the Files tab.
      </EmptyState>
    );
  }
  return (
    <div className="runs-logs">
      <div className="runs-log-bar">
        {status && <StatusChip status={status.status} />}
        <span className="muted">{done ? "The log is complete." : status?.reason || "Following the log…"}</span>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      <ErrorBanner error={error} />
      <pre ref={box} className="code-block runs-log-text" data-testid="run-log" aria-live="polite">
        {text || (done ? "(the log is empty)" : "Waiting for the first line…")}
      </pre>
    </div>
  );
}
