// Datastore locations and data values as the Data pages show them. A datastore's answer never
// carries secrets; still, only the location keys below are shown, so that nothing added to
// `properties` later reaches the page unless it is meant to.
import type { Schemas } from "../../api/client";

type DatastoreOut = Schemas["DatastoreOut"];

export function datastoreLocation(d: Pick<DatastoreOut, "datastoreType" | "properties">): string {
  const p = (d.properties ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === "string" && p[k] ? (p[k] as string) : null);
  if (str("path")) return str("path") as string;
  if (str("bucket")) {
    const where = `s3://${str("bucket")}${str("prefix") ? `/${str("prefix")}` : ""}`;
    return str("endpointUrl") ? `${where} (${str("endpointUrl")})` : where;
  }
  if (str("containerName")) return `${str("accountName") ?? "?"}/${str("containerName")}`;
  return "—";
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A cell of a preview or a profile statistic: numbers rounded for reading, null shown as empty. */
export function formatValue(v: unknown): string {
  if (v == null) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
