// The one table of the studio: the server sorts, filters and pages; this draws a dense table
// with a filter box, sortable headers, optional row selection and Previous/Next by page token.
//
//   <DataTable
//     columns={[{ key: "name", header: "Name", sortable: true, render: (r) => <Link …/> }]}
//     rowKey={(r) => r.id}
//     fetchPage={async ({ pageSize, pageToken, sort, filter }) => ({ items, nextPageToken, total })}
//   />
//
// For a list endpoint without paging, `localPages(items, …)` gives a fetchPage over an array.
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ErrorBanner } from "./ErrorBanner";

export interface Column<T> {
  key: string;
  header: ReactNode;
  render?: (row: T) => ReactNode;
  sortable?: boolean;
  width?: string | number;
  align?: "left" | "right";
}

export interface Sort {
  key: string;
  desc: boolean;
}

export interface PageQuery {
  pageSize: number;
  /** null for the first page, else what the previous page returned as nextPageToken. */
  pageToken: string | null;
  sort: Sort | null;
  filter: string;
}

export interface PageResult<T> {
  items: T[];
  nextPageToken?: string | null;
  /** When the server knows it; shown as "1–50 of total". */
  total?: number | null;
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rowKey: (row: T) => string;
  fetchPage: (query: PageQuery) => Promise<PageResult<T>>;
  pageSize?: number;
  initialSort?: Sort | null;
  filterPlaceholder?: string;
  /** Hide the filter box (the page filters some other way). */
  noFilter?: boolean;
  /** Shown when the first page is empty and no filter is set. */
  empty?: ReactNode;
  onRowClick?: (row: T) => void;
  /** Row selection with checkboxes (compare runs, bulk actions). */
  selected?: ReadonlySet<string>;
  onSelectedChange?: (next: Set<string>) => void;
  /** Buttons next to the filter box. */
  toolbar?: ReactNode;
  /** Change it to reload the current query (after a create or delete). */
  reloadKey?: unknown;
  label?: string;
}

export function DataTable<T>(props: DataTableProps<T>) {
  const { columns, rowKey, fetchPage, pageSize = 50, selected, onSelectedChange } = props;
  const [sort, setSort] = useState<Sort | null>(props.initialSort ?? null);
  const [filterInput, setFilterInput] = useState("");
  const [filter, setFilter] = useState("");
  // tokens[i] is the token that fetches page i; tokens[0] is null.
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState(0);
  const [result, setResult] = useState<PageResult<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  // The filter goes to the server once the user pauses typing.
  useEffect(() => {
    const t = setTimeout(() => setFilter(filterInput.trim()), 300);
    return () => clearTimeout(t);
  }, [filterInput]);

  // A new sort or filter starts again from the first page.
  useEffect(() => {
    setTokens([null]);
    setPage(0);
  }, [sort, filter, props.reloadKey]);

  const token = tokens[page] ?? null;
  useEffect(() => {
    let live = true;
    setLoading(true);
    fetchRef
      .current({ pageSize, pageToken: token, sort, filter })
      .then((r) => {
        if (!live) return;
        setResult(r);
        setError(null);
        setTokens((old) => {
          const next = old.slice(0, page + 1);
          if (r.nextPageToken) next.push(r.nextPageToken);
          return next;
        });
      })
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [token, page, sort, filter, pageSize, props.reloadKey]);

  const items = result?.items ?? [];
  const hasNext = tokens.length > page + 1;
  const first = page * pageSize + (items.length ? 1 : 0);
  const last = page * pageSize + items.length;
  const allKeys = useMemo(() => items.map(rowKey), [items, rowKey]);
  const allSelected = selected != null && allKeys.length > 0 && allKeys.every((k) => selected.has(k));

  function toggleSort(col: Column<T>) {
    if (!col.sortable) return;
    setSort((s) => (s?.key === col.key ? (s.desc ? null : { key: col.key, desc: true }) : { key: col.key, desc: false }));
  }

  function toggleRow(k: string) {
    if (!selected || !onSelectedChange) return;
    const next = new Set(selected);
    if (next.has(k)) next.delete(k);
    else next.add(k);
    onSelectedChange(next);
  }

  function toggleAll() {
    if (!selected || !onSelectedChange) return;
    const next = new Set(selected);
    for (const k of allKeys) {
      if (allSelected) next.delete(k);
      else next.add(k);
    }
    onSelectedChange(next);
  }

  const showEmpty = !loading && !error && items.length === 0 && page === 0;
  return (
    <div className="datatable" aria-busy={loading}>
      {(!props.noFilter || props.toolbar) && (
        <div className="table-toolbar">
          {!props.noFilter && (
            <input
              className="filter-input"
              type="search"
              placeholder={props.filterPlaceholder ?? "Filter"}
              value={filterInput}
              onChange={(e) => setFilterInput(e.target.value)}
              aria-label="Filter"
            />
          )}
          <div className="toolbar-actions">{props.toolbar}</div>
        </div>
      )}
      <ErrorBanner error={error} />
      {showEmpty && !filter && props.empty ? (
        props.empty
      ) : (
        <div className="table-scroll">
          <table className="table" aria-label={props.label}>
            <thead>
              <tr>
                {selected && (
                  <th className="col-select">
                    <input type="checkbox" checked={allSelected} onChange={toggleAll} aria-label="Select all" />
                  </th>
                )}
                {columns.map((col) => {
                  const active = sort?.key === col.key;
                  return (
                    <th
                      key={col.key}
                      style={{ width: col.width, textAlign: col.align }}
                      className={col.sortable ? "sortable" : undefined}
                      aria-sort={active ? (sort?.desc ? "descending" : "ascending") : undefined}
                      onClick={() => toggleSort(col)}
                    >
                      {col.header}
                      {col.sortable && <span className="sort-mark">{active ? (sort?.desc ? "▼" : "▲") : "↕"}</span>}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {items.map((row) => {
                const k = rowKey(row);
                return (
                  <tr
                    key={k}
                    className={props.onRowClick ? "clickable" : undefined}
                    onClick={props.onRowClick ? () => props.onRowClick?.(row) : undefined}
                    aria-selected={selected?.has(k) || undefined}
                  >
                    {selected && (
                      <td className="col-select" onClick={(e) => e.stopPropagation()}>
                        <input type="checkbox" checked={selected.has(k)} onChange={() => toggleRow(k)} aria-label={`Select ${k}`} />
                      </td>
                    )}
                    {columns.map((col) => (
                      <td key={col.key} style={{ textAlign: col.align }}>
                        {col.render ? col.render(row) : String((row as Record<string, unknown>)[col.key] ?? "")}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {!loading && items.length === 0 && (
                <tr>
                  <td className="no-rows" colSpan={columns.length + (selected ? 1 : 0)}>
                    {filter ? `Nothing matches "${filter}".` : "Nothing here yet."}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <div className="table-footer">
        <span className="muted">
          {loading ? "Loading…" : `${first}–${last}${result?.total != null ? ` of ${result.total}` : ""}`}
        </span>
        <div className="pager">
          <button type="button" className="btn btn-small" disabled={page === 0 || loading} onClick={() => setPage((p) => p - 1)}>
            Previous
          </button>
          <button type="button" className="btn btn-small" disabled={!hasNext || loading} onClick={() => setPage((p) => p + 1)}>
            Next
          </button>
        </div>
      </div>
    </div>
  );
}

/**
 * A fetchPage over an array already in the browser (list endpoints that do not page):
 * filters on `text(row)`, sorts on `value(row, key)`, pages with the offset as token.
 */
export function localPages<T>(
  items: readonly T[],
  text: (row: T) => string,
  value: (row: T, key: string) => string | number | null | undefined = (row, key) =>
    (row as Record<string, unknown>)[key] as string | number | null | undefined,
): (q: PageQuery) => Promise<PageResult<T>> {
  return async ({ pageSize, pageToken, sort, filter }) => {
    const needle = filter.toLowerCase();
    let rows = needle ? items.filter((r) => text(r).toLowerCase().includes(needle)) : [...items];
    if (sort) {
      rows = rows.sort((a, b) => compare(value(a, sort.key), value(b, sort.key)) * (sort.desc ? -1 : 1));
    }
    const start = pageToken ? Number(pageToken) : 0;
    const end = start + pageSize;
    return { items: rows.slice(start, end), nextPageToken: end < rows.length ? String(end) : null, total: rows.length };
  };
}

function compare(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (a == null && b == null) return 0;
  if (a == null) return 1;
  if (b == null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}
