// One colour per kind of state, whatever the asset: runs, jobs, computes, resources.
const TONES: Record<string, string> = {
  completed: "ok",
  succeeded: "ok",
  finished: "ok",
  active: "ok",
  ready: "ok",
  running: "active",
  started: "active",
  starting: "pending",
  provisioning: "pending",
  preparing: "pending",
  queued: "pending",
  notstarted: "pending",
  creating: "pending",
  stopping: "pending",
  deleting: "pending",
  finalizing: "active",
  failed: "bad",
  error: "bad",
  killed: "bad",
  canceled: "muted",
  cancelled: "muted",
  cancelrequested: "muted",
  stopped: "muted",
  deleted: "muted",
  kept: "muted",
  removed: "muted",
  revoked: "muted",
  expired: "muted",
  createdonfirstuse: "muted",
};

export function statusTone(status: string): string {
  return TONES[status.toLowerCase().replace(/[\s_-]/g, "")] ?? "neutral";
}

export function StatusChip({ status }: { status: string | null | undefined }) {
  const text = status ?? "Unknown";
  return (
    <span className={`chip chip-${statusTone(text)}`} data-status={text}>
      {text}
    </span>
  );
}
