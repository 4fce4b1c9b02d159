// One experiment's runs: a server-paged table (POST …/runs/search: the SDK's filter grammar,
// orderBy on any column, keyset pages), columns of params, tags and latest metrics picked by
// the user, status chips as quick filters, and a selection to compare.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { DataTable, type Column, type PageQuery, type PageResult } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { formatDuration, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { runKeys, searchRuns, type FoundRun, type Ws } from "../runs/runsApi";
import { ColumnPicker } from "./ColumnPicker";
import {
  cellValue,
  defaultColumns,
  formatMetric,
  keysOf,
  loadColumns,
  orderBy,
  parseColumnId,
  saveColumns,
  toggleColumn,
  type ColumnId,
  type ColumnKeys,
} from "./columns";
import { FILTER_EXAMPLES, firstRunIn } from "./snippets";

/** Set once per page load when the runs table shows its first page (read by benchmarks/studio.py). */
export const RUNS_FIRST_PAGE_MARK = "mlyard:runs-first-page";

const STATUS_FILTERS = ["Running", "Completed", "Failed", "Canceled"];
const PAGE_SIZE = 50;
const NO_KEYS: ColumnKeys = { params: [], tags: [], metrics: [] };

export function runLabel(r: { displayName?: string | null; runNumber: number }): string {
  return r.displayName || `Run ${r.runNumber}`;
}

export function runDuration(r: { startTimeUtc?: string | null; endTimeUtc?: string | null }): number | null {
  if (!r.startTimeUtc) return null;
  const end = r.endTimeUtc ? Date.parse(r.endTimeUtc) : Date.now();
  return end - Date.parse(r.startTimeUtc);
}

/** The first cell of the first row: mounting it means the first page is on screen. */
function RunNameCell({ run, to }: { run: FoundRun; to: string }) {
  useEffect(() => {
    if (performance.getEntriesByName(RUNS_FIRST_PAGE_MARK).length === 0) performance.mark(RUNS_FIRST_PAGE_MARK);
  }, []);
  return (
    <Link to={to} onClick={(e) => e.stopPropagation()}>
      {runLabel(run)}
    </Link>
  );
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The first page, newest first and unfiltered, asked for as the page opens, beside the run keys
 * that the table's columns wait for (rather than after them). */
function prefetchFirstPage(ws: Ws, experiment: string): Promise<Settled<Awaited<ReturnType<typeof searchRuns>>>> {
  return searchRuns(ws, { experimentNames: [experiment], orderBy: orderBy(null), maxResults: PAGE_SIZE }).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** The page of the experiment in the URL, made afresh for another experiment (its columns, prefetch). */
export function ExperimentRoute() {
  const { name = "" } = useParams();
  return <ExperimentPage key={name} name={name} />;
}

export function ExperimentPage({ name }: { name: string }) {
  const { pathParams, base, scope } = useWorkspace();
  const navigate = useNavigate();
  const keys = useAsync(() => runKeys(pathParams, name), [scope, name]);
  const [picked, setPicked] = useState<ColumnId[] | null>(() => loadColumns(scope, name));
  // Until the user picks, the columns come from the run keys or the first page, whichever is
  // first, and then stay: the table need not wait for the keys, nor its columns jump after.
  const [defaults, setDefaults] = useState<ColumnId[] | null>(null);
  const columnsShown = picked ?? defaults ?? [];
  const [draft, setDraft] = useState("");
  const [filter, setFilter] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const prefetched = useRef<ReturnType<typeof prefetchFirstPage> | null>(null);
  const prefetchedFor = useRef("");
  const [firstPage, setFirstPage] = useState<ReturnType<typeof prefetchFirstPage> | null>(null);
  if (prefetchedFor.current !== `${scope}\n${name}`) {
    prefetchedFor.current = `${scope}\n${name}`;
    prefetched.current = prefetchFirstPage(pathParams, name);
  }
  useEffect(() => setFirstPage(prefetched.current), [scope, name]);
  useEffect(() => {
    let live = true;
    void firstPage?.then((got) => {
      if (live && got.ok) setDefaults((d) => d ?? defaultColumns(keysOf(got.value.runs)));
    });
    return () => {
      live = false;
    };
  }, [firstPage]);
  useEffect(() => {
    const known = keys.data;
    if (known) setDefaults((d) => d ?? defaultColumns(known));
  }, [keys.data]);

  const fullFilter = [filter, status ? `attributes.status = '${status}'` : ""].filter(Boolean).join(" and ");

  function toggle(id: ColumnId) {
    const next = toggleColumn(columnsShown, id);
    setPicked(next);
    saveColumns(scope, name, next);
  }

  function apply(e?: FormEvent) {
    e?.preventDefault();
    setFilterError(null);
    setFilter(draft.trim());
  }

  const fetchPage = useCallback(
    async (q: PageQuery): Promise<PageResult<FoundRun>> => {
      try {
        const early = prefetched.current;
        prefetched.current = null;
        if (early && !q.pageToken && !q.sort && !fullFilter && q.pageSize === PAGE_SIZE) {
          const got = await early;
          if (!got.ok) throw got.error;
          return { items: got.value.runs, nextPageToken: got.value.nextPageToken ?? null };
        }
        const page = await searchRuns(pathParams, {
          experimentNames: [name],
          filter: fullFilter,
          orderBy: orderBy(q.sort),
          maxResults: q.pageSize,
          pageToken: q.pageToken,
        });
        setFilterError(null);
        return { items: page.runs, nextPageToken: page.nextPageToken ?? null };
      } catch (e) {
        // A filter the grammar refuses is the user's to fix: say where, beside the box.
        if (e instanceof ApiError && (e.code === "InvalidFilter" || e.target === "filter" || e.target === "orderBy")) {
          setFilterError(e.message);
          return { items: [], nextPageToken: null };
        }
        throw e;
      }
    },
    [pathParams, name, fullFilter],
  );

  const columns: Column<FoundRun>[] = useMemo(
    () => [
      { key: "name", header: "Run", sortable: true, render: (r) => <RunNameCell run={r} to={`${base}/runs/${r.runId}`} /> },
      { key: "status", header: "Status", sortable: true, render: (r) => <StatusChip status={r.status} /> },
      { key: "created", header: "Created", sortable: true, render: (r) => formatTime(r.createdUtc) },
      { key: "duration", header: "Duration", align: "right", render: (r) => formatDuration(runDuration(r)) },
      ...columnsShown.map((id): Column<FoundRun> => {
        const parsed = parseColumnId(id);
        const isMetric = parsed?.kind === "metrics";
        return {
          key: id,
          header: <span title={id}>{parsed?.name ?? id}</span>,
          sortable: true,
          align: isMetric ? "right" : "left",
          render: (r) => {
            const v = cellValue(r, id);
            return isMetric ? <span className="mono">{formatMetric(v)}</span> : (v ?? "—");
          },
        };
      }),
    ],
    [base, columnsShown],
  );

  const chosen = [...selected];
  return (
    <Page
      title={name}
      subtitle={
        <>
          <Link to={`${base}/experiments`}>Experiments</Link> / {name}
        </>
      }
      actions={
        <button
          type="button"
          className="btn btn-primary"
          disabled={chosen.length < 2}
          title={chosen.length < 2 ? "Select two or more runs to compare" : undefined}
          onClick={() => navigate(`${base}/experiments/${encodeURIComponent(name)}/compare?runs=${chosen.join(",")}`)}
        >
          Compare{chosen.length ? ` (${chosen.length})` : ""}
        </button>
      }
    >
      <ErrorBanner error={keys.error} onRetry={keys.reload} />
      <form className="experiments-filter" onSubmit={apply} role="search">
        <input
          className="filter-input mono"
          type="search"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={`Filter, e.g. ${FILTER_EXAMPLES[0]} and ${FILTER_EXAMPLES[1]}`}
          aria-label="Run filter"
          aria-invalid={filterError ? true : undefined}
          list="run-filter-examples"
        />
        <datalist id="run-filter-examples">
          {FILTER_EXAMPLES.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <button type="submit" className="btn">
          Apply
        </button>
        {filter && (
          <button type="button" className="btn btn-small" onClick={() => (setDraft(""), setFilter(""), setFilterError(null))}>
            Clear
          </button>
        )}
        <div className="experiments-status-chips" role="group" aria-label="Status">
          <button type="button" className={`chip ${status === null ? "chip-active" : "chip-neutral"}`} onClick={() => setStatus(null)}>
            All
          </button>
          {STATUS_FILTERS.map((s) => (
            <button
              type="button"
              key={s}
              className={`chip ${status === s ? "chip-active" : "chip-neutral"}`}
              aria-pressed={status === s}
              onClick={() => setStatus(status === s ? null : s)}
            >
              {s}
            </button>
          ))}
        </div>
        <ColumnPicker keys={keys.data ?? NO_KEYS} value={columnsShown} onToggle={toggle} />
      </form>
      {filterError && (
        <div className="field-error" role="alert" data-testid="filter-error">
          {filterError}
        </div>
      )}
      {(picked !== null || defaults !== null || keys.error != null) && (
        <DataTable
          label="Runs"
          noFilter
          pageSize={PAGE_SIZE}
          columns={columns}
          rowKey={(r) => r.runId}
          fetchPage={fetchPage}
          reloadKey={fullFilter}
          initialSort={null}
          selected={selected}
          onSelectedChange={setSelected}
          onRowClick={(r) => navigate(`${base}/runs/${r.runId}`)}
          empty={
            fullFilter || filterError ? undefined : (
              <EmptyState title="No runs in this experiment yet" code={firstRunIn(name)}>
                Log a run from the SDK and it appears here, with its params, tags and metrics as columns.
              </EmptyState>
            )
          }
        />
      )}
    </Page>
  );
}
