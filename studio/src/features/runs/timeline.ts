// A run's status timeline from its timestamps, and its job's when it was submitted.
import type { Job, Run } from "./runsApi";

export interface Step {
  label: string;
  at: string | null;
  /** Milliseconds until the next step that happened (null: last one, or not reached). */
  took: number | null;
}

export function timeline(run: Run, job: Job | null): Step[] {
  const ended = run.endTimeUtc ?? job?.endTimeUtc ?? null;
  const end = ["Completed", "Failed", "Canceled"].includes(run.status) ? run.status : "Ended";
  const raw: [string, string | null | undefined][] = job
    ? [
        ["Queued", job.queuedUtc],
        ["Preparing", job.preparingUtc],
        ["Running", job.runningUtc ?? run.startTimeUtc],
        ["Finalizing", job.finalizingUtc],
        [end, ended],
      ]
    : [
        ["Created", run.createdUtc],
        ["Running", run.startTimeUtc],
        [end, ended],
      ];
  const steps = raw.map(([label, at]) => ({ label, at: at ?? null, took: null as number | null }));
  for (let i = 0; i < steps.length; i++) {
    const at = steps[i].at;
    const next = steps.slice(i + 1).find((s) => s.at);
    if (at && next?.at) steps[i].took = Date.parse(next.at) - Date.parse(at);
  }
  return steps;
}
