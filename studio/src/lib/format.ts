// Shared formatting, so that every table shows times and durations the same way.
export function formatTime(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

export function formatTags(tags: Record<string, string> | null | undefined): string {
  return Object.entries(tags ?? {})
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(", ");
}

/** A principal id as people read it: "you" for the signed-in user, else the id's start (full id in a tooltip). */
export function principalLabel(id: string | null | undefined, meId: string | null | undefined): string {
  if (!id) return "—";
  if (id === meId) return "you";
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}
