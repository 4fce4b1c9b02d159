// The runs table's columns (params, tags and latest metrics the user picks), how a sorted column
// becomes the search's orderBy, and the parameter diff of compared runs: plain functions,
// tested with Vitest.
import type { Schemas } from "../../api/client";

export type FoundRun = Schemas["FoundRunOut"];
export type Kind = "params" | "tags" | "metrics";

export interface ColumnKeys {
  params: string[];
  tags: string[];
  metrics: string[];
}

/** A picked column: "metrics.accuracy", "params.lr", "tags.team". */
export type ColumnId = `${Kind}.${string}`;

export function columnId(kind: Kind, name: string): ColumnId {
  return `${kind}.${name}`;
}

export function parseColumnId(id: string): { kind: Kind; name: string } | null {
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot);
  if (dot < 1 || (kind !== "params" && kind !== "tags" && kind !== "metrics")) return null;
  return { kind, name: id.slice(dot + 1) };
}

/** A key as the filter grammar takes it: bare when it can be, else in backticks. */
export function quoteKey(name: string): string {
  return /^[A-Za-z0-9_\-./:]+$/.test(name) ? name : "`" + name.replace(/`/g, "") + "`";
}

// The fixed columns that the server can sort on, by their orderBy attribute.
const ATTRIBUTE_ORDER: Record<string, string> = {
  name: "attributes.run_name",
  status: "attributes.status",
  created: "attributes.created",
  started: "attributes.start_time",
  ended: "attributes.end_time",
};

/** The search's orderBy for a sorted column (newest first when nothing is sorted). */
export function orderBy(sort: { key: string; desc: boolean } | null): string[] {
  if (!sort) return ["attributes.created DESC"];
  const dir = sort.desc ? " DESC" : " ASC";
  const attribute = ATTRIBUTE_ORDER[sort.key];
  if (attribute) return [attribute + dir];
  const parsed = parseColumnId(sort.key);
  if (!parsed) return ["attributes.created DESC"];
  return [`${parsed.kind}.${quoteKey(parsed.name)}${dir}`];
}

/** The names that some runs hold (the first page's, while the experiment's run keys load). */
export function keysOf(runs: FoundRun[]): ColumnKeys {
  const sorted = (names: Iterable<string>) => [...new Set(names)].sort();
  return {
    params: sorted(runs.flatMap((r) => Object.keys(r.params))),
    tags: sorted(runs.flatMap((r) => Object.keys(r.tags))),
    metrics: sorted(runs.flatMap((r) => r.metrics.map((m) => m.name))),
  };
}

/** The columns shown before the user picks: up to four metrics and three params. */
export function defaultColumns(keys: ColumnKeys): ColumnId[] {
  return [
    ...keys.metrics.slice(0, 4).map((m) => columnId("metrics", m)),
    ...keys.params.slice(0, 3).map((p) => columnId("params", p)),
  ];
}

function storageKey(scope: string, experiment: string): string {
  return `mlyard.columns:${scope}/experiments/${experiment.toLowerCase()}`;
}

/** The columns picked for this experiment before (null: never picked). */
export function loadColumns(scope: string, experiment: string): ColumnId[] | null {
  try {
    const raw = localStorage.getItem(storageKey(scope, experiment));
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return null;
    return parsed.filter((x): x is ColumnId => typeof x === "string" && parseColumnId(x) !== null);
  } catch {
    return null;
  }
}

export function saveColumns(scope: string, experiment: string, columns: ColumnId[]): void {
  try {
    localStorage.setItem(storageKey(scope, experiment), JSON.stringify(columns));
  } catch {
    // storage full or disabled: the choice lasts this visit only
  }
}

/** Add the column when missing, remove it when there (the picker's checkbox). */
export function toggleColumn(columns: ColumnId[], id: ColumnId): ColumnId[] {
  return columns.includes(id) ? columns.filter((c) => c !== id) : [...columns, id];
}

/** A run's cell for a picked column: a param or tag as text, a metric's latest value. */
export function cellValue(run: FoundRun, id: ColumnId): string | number | null {
  const parsed = parseColumnId(id);
  if (!parsed) return null;
  if (parsed.kind === "params") return run.params[parsed.name] ?? null;
  if (parsed.kind === "tags") return run.tags[parsed.name] ?? null;
  const metric = run.metrics.find((m) => m.name === parsed.name);
  if (!metric) return null;
  return typeof metric.value === "number" ? metric.value : metric.value; // "NaN", "Infinity" stay text
}

export function formatMetric(value: string | number | null): string {
  if (value == null) return "—";
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : value.toPrecision(4).replace(/\.?0+$/, "");
}

export interface DiffRow {
  key: string;
  values: (string | null)[];
  differs: boolean;
}

/** Every param of the compared runs, one row each, in key order; `differs` when not all runs agree. */
export function diffParams(runs: { params: Record<string, string> }[]): DiffRow[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  return keys.map((key) => {
    const values = runs.map((r) => r.params[key] ?? null);
    return { key, values, differs: new Set(values).size > 1 };
  });
}

/** Metric names of the compared runs (union, sorted). */
export function metricNames(runs: FoundRun[]): string[] {
  return [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.name)))].sort();
}
