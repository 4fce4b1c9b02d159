// One dataset: its versions, and for the chosen version the profile (per column: type, count,
// missing, min, max, mean, std, distinct, top values) and a preview of its first rows.
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, unwrap, type Schemas } from "../../api/client";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { formatTags, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { formatBytes, formatValue } from "./dataFormat";
import "./data.css";

type ProfileOut = Schemas["ProfileOut"];
type PreviewOut = Schemas["PreviewOut"];
const VERSION = "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/datasets/{name}/versions/{version}" as const;

export function DatasetPage() {
  const { name = "" } = useParams();
  const { pathParams, base } = useWorkspace();
  const [chosen, setChosen] = useState<number | null>(null);
  const versions = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/datasets/{name}/versions", {
          params: { path: { ...pathParams, name } },
        }),
      ),
    [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName, name],
  );
  const all = [...(versions.data ?? [])].sort((a, b) => b.version - a.version);
  const current = all.find((v) => v.version === chosen) ?? all[0];
  const tabular = current?.datasetType === "tabular";
  const path = { ...pathParams, name, version: current?.version ?? 0 };
  const profile = useAsync<ProfileOut | null>(
    () => (current && tabular ? unwrap(api.GET(`${VERSION}/profile`, { params: { path } })) : Promise.resolve(null)),
    [current?.id],
  );
  const preview = useAsync<PreviewOut | null>(
    () => (current && tabular ? unwrap(api.GET(`${VERSION}/preview`, { params: { path, query: { top: 20 } } })) : Promise.resolve(null)),
    [current?.id],
  );

  return (
    <Page
      title={name}
      subtitle={
        <>
          <Link to={`${base}/data`}>Data</Link> / dataset
        </>
      }
      actions={
        all.length > 0 && (
          <label className="data-version">
            Version{" "}
            <select aria-label="Version" value={current?.version} onChange={(e) => setChosen(Number(e.target.value))}>
              {all.map((v) => (
                <option key={v.version} value={v.version}>
                  {`${v.version} — ${formatTime(v.createdAt)}`}
                </option>
              ))}
            </select>
          </label>
        )
      }
    >
      <ErrorBanner error={versions.error} onRetry={versions.reload} />
      {current && (
        <div className="panel">
          <dl className="facts">
            <dt>Type</dt>
            <dd>{current.datasetType}</dd>
            <dt>Version</dt>
            <dd>
              {current.version} of {all.length}
            </dd>
            <dt>Files</dt>
            <dd>
              {current.fileCount} ({formatBytes(current.totalSize)})
            </dd>
            <dt>Registered</dt>
            <dd>{formatTime(current.createdAt)}</dd>
            {current.description && (
              <>
                <dt>Description</dt>
                <dd>{current.description}</dd>
              </>
            )}
            {Object.keys(current.tags).length > 0 && (
              <>
                <dt>Tags</dt>
                <dd>{formatTags(current.tags)}</dd>
              </>
            )}
          </dl>
        </div>
      )}
      {current && !tabular && (
        <EmptyState title="A file dataset has no profile or preview" code={`mlyard dataset download --name ${name} --version ${current.version} --download-path ./data`}>
          Its files are listed and downloaded as they are; a tabular dataset is profiled and previewed here.
        </EmptyState>
      )}
      {tabular && (
        <>
          <h2 className="section-title">Profile</h2>
          <ErrorBanner error={profile.error} onRetry={profile.reload} />
          {profile.loading && !profile.data && <p className="muted">Profiling…</p>}
          {profile.data && <ProfileTable profile={profile.data} />}
          <h2 className="section-title">Preview</h2>
          <ErrorBanner error={preview.error} onRetry={preview.reload} />
          {preview.data && <PreviewTable preview={preview.data} />}
        </>
      )}
    </Page>
  );
}

function ProfileTable({ profile }: { profile: ProfileOut }) {
  return (
    <>
      <p className="muted small">
        {profile.rowCount} rows, {profile.columnCount} columns
      </p>
      <div className="table-scroll">
        <table className="table data-profile" aria-label="Profile">
          <thead>
            <tr>
              {["Column", "Type", "Count", "Missing", "Min", "Max", "Mean", "Std", "Distinct", "Top values"].map((h) => (
                <th key={h}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {profile.columns.map((c) => (
              <tr key={c.name}>
                <td className="mono">{c.name}</td>
                <td>{c.type}</td>
                <td className="num">{c.count}</td>
                <td className="num">{c.missing}</td>
                <td className="num">{formatValue(c.min)}</td>
                <td className="num">{formatValue(c.max)}</td>
                <td className="num">{formatValue(c.mean)}</td>
                <td className="num">{formatValue(c.std)}</td>
                <td className="num">{c.distinct}</td>
                <td className="small">
                  {c.topValues
                    .slice(0, 5)
                    .map((t) => `${formatValue(t.value)} (${formatValue(t.count)})`)
                    .join(", ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function PreviewTable({ preview }: { preview: PreviewOut }) {
  if (preview.rows.length === 0) return <p className="muted">The dataset has no rows.</p>;
  return (
    <div className="table-scroll">
      <table className="table data-preview" aria-label="Preview">
        <thead>
          <tr>
            {preview.columns.map((c) => (
              <th key={c.name} title={c.type}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, i) => (
            <tr key={i}>
              {row.map((v, j) => (
                <td key={j} className={typeof v === "number" ? "num" : undefined}>
                  {formatValue(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
