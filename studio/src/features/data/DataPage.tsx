// The workspace's datastores (type, default, where: never credentials) and datasets (latest
// version, how many versions); a dataset opens its page with profile and preview.
import { useMemo } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap, type Schemas } from "../../api/client";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { datastoreLocation, formatBytes } from "./dataFormat";
import "./data.css";

type DatastoreOut = Schemas["DatastoreOut"];
type DatasetVersionOut = Schemas["DatasetVersionOut"];
const WS = "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}" as const;

export function DataPage() {
  const { pathParams, base } = useWorkspace();
  const navigate = useNavigate();
  const deps = [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName];
  const stores = useAsync(() => unwrap(api.GET(`${WS}/datastores`, { params: { path: pathParams } })), deps);
  const sets = useAsync(() => unwrap(api.GET(`${WS}/datasets`, { params: { path: pathParams } })), deps);

  const storeColumns: Column<DatastoreOut>[] = [
    { key: "name", header: "Name", sortable: true, render: (d) => <span className="mono">{d.name}</span> },
    { key: "datastoreType", header: "Type", sortable: true },
    { key: "isDefault", header: "Default", render: (d) => (d.isDefault ? <span className="badge">default</span> : "") },
    { key: "location", header: "Path or bucket", render: (d) => <span className="mono">{datastoreLocation(d)}</span> },
    { key: "createdAt", header: "Created", sortable: true, render: (d) => formatTime(d.createdAt) },
  ];
  const setColumns: Column<DatasetVersionOut>[] = [
    { key: "name", header: "Name", sortable: true, render: (d) => <Link to={`${base}/data/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link> },
    { key: "datasetType", header: "Type", sortable: true },
    { key: "version", header: "Latest version", sortable: true, align: "right" },
    { key: "versionCount", header: "Versions", sortable: true, align: "right", render: (d) => String(d.versionCount ?? 1) },
    { key: "columns", header: "Columns", align: "right", render: (d) => (d.datasetType === "tabular" ? String(d.columns.length) : "—") },
    { key: "fileCount", header: "Files", sortable: true, align: "right" },
    { key: "totalSize", header: "Size", sortable: true, align: "right", render: (d) => formatBytes(d.totalSize) },
    { key: "createdAt", header: "Registered", sortable: true, render: (d) => formatTime(d.createdAt) },
  ];
  const storePages = useMemo(() => localPages(stores.data ?? [], (d) => `${d.name} ${d.datastoreType} ${datastoreLocation(d)}`), [stores.data]);
  const setPages = useMemo(() => localPages(sets.data ?? [], (d) => `${d.name} ${d.datasetType} ${d.description ?? ""}`), [sets.data]);

  return (
    <Page title="Data" subtitle="Datastores say where data lives; datasets pin files in them as immutable versions.">
      <h2 className="section-title">Datasets</h2>
      <ErrorBanner error={sets.error} onRetry={sets.reload} />
      {sets.data && (
        <DataTable
          label="Datasets"
          columns={setColumns}
          rowKey={(d) => d.name}
          fetchPage={setPages}
          reloadKey={sets.data}
          initialSort={{ key: "name", desc: false }}
          onRowClick={(d) => navigate(`${base}/data/datasets/${encodeURIComponent(d.name)}`)}
          empty={
            <EmptyState
              title="No datasets yet"
              code={`mlyard dataset create --name my-data --type tabular --path "workspaceblobstore:data/*.csv"\n\n# or from Python\nfrom mlyard import Dataset, Workspace\nws = Workspace.from_config()\nstore = ws.get_default_datastore()\nDataset.Tabular.from_delimited_files(path=(store, "data/*.csv")).register(ws, "my-data")`}
            >
              Register a tabular or file dataset from a datastore's files.
            </EmptyState>
          }
        />
      )}
      <h2 className="section-title">Datastores</h2>
      <ErrorBanner error={stores.error} onRetry={stores.reload} />
      {stores.data && (
        <DataTable
          label="Datastores"
          columns={storeColumns}
          rowKey={(d) => d.name}
          fetchPage={storePages}
          reloadKey={stores.data}
          initialSort={{ key: "name", desc: false }}
          empty={
            <EmptyState title="No datastores" code={`mlyard datastore register --name local_files --type local --path /data`}>
              Register a local folder, an S3 bucket or an Azure blob container.
            </EmptyState>
          }
        />
      )}
    </Page>
  );
}
