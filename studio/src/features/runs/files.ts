// The run's files as folders: the server lists every file under the run (names with '/'); the
// browser shows one folder at a time. Plain functions, tested with Vitest.

export interface FileEntry {
  name: string;
  size: number;
  modifiedUtc: string;
}

export interface FolderEntry {
  kind: "folder" | "file";
  /** The last path segment. */
  label: string;
  /** The full name (a folder's ends without '/'). */
  path: string;
  size: number;
  /** Files below a folder. */
  count: number;
}

/** The folders and files right inside `folder` ("" is the top), folders first, by name. */
export function folderEntries(files: FileEntry[], folder: string): FolderEntry[] {
  const prefix = folder ? `${folder}/` : "";
  const folders = new Map<string, FolderEntry>();
  const out: FolderEntry[] = [];
  for (const f of files) {
    if (!f.name.startsWith(prefix)) continue;
    const rest = f.name.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      out.push({ kind: "file", label: rest, path: f.name, size: f.size, count: 1 });
      continue;
    }
    const label = rest.slice(0, slash);
    const known = folders.get(label);
    if (known) {
      known.size += f.size;
      known.count += 1;
    } else {
      folders.set(label, { kind: "folder", label, path: prefix + label, size: f.size, count: 1 });
    }
  }
  const byLabel = (a: FolderEntry, b: FolderEntry) => a.label.localeCompare(b.label);
  return [...[...folders.values()].sort(byLabel), ...out.sort(byLabel)];
}

/** The folders from the top to `folder`, for breadcrumbs: [["", "files"], ["outputs", "outputs"], …]. */
export function crumbs(folder: string): [string, string][] {
  const out: [string, string][] = [["", "files"]];
  if (!folder) return out;
  const parts = folder.split("/");
  parts.forEach((p, i) => out.push([parts.slice(0, i + 1).join("/"), p]));
  return out;
}

const TEXT = /\.(txt|log|md|json|jsonl|ya?ml|csv|tsv|py|sh|toml|ini|cfg|xml|html|js|ts|r|sql|out|err)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|svg|bmp)$/i;
/** Text files larger than this are previewed by their start only. */
export const TEXT_PREVIEW_BYTES = 256 * 1024;

export function previewKind(name: string): "text" | "image" | "none" {
  if (IMAGE.test(name)) return "image";
  if (TEXT.test(name) || !/\.[^/]+$/.test(name)) return "text";
  return "none";
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
