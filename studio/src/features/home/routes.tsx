// The workspace's Home: what it is, where to go next.
import { Link, type RouteObject } from "react-router-dom";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { useSession } from "../../auth/session";
import { formatTime, principalLabel } from "../../lib/format";
import { useWorkspace } from "../../lib/workspace";

const CARDS = [
  { path: "notebooks", title: "Notebooks", text: "Write and run notebooks on a compute instance." },
  { path: "experiments", title: "Experiments", text: "Runs, their metrics and charts; compare runs." },
  { path: "jobs", title: "Jobs", text: "Scripts submitted to compute targets, with their logs." },
  { path: "compute", title: "Compute", text: "Instances and clusters: create, start, stop." },
  { path: "data", title: "Data", text: "Datastores and versioned datasets." },
  { path: "access", title: "Access", text: "Who can do what in this workspace." },
];

function HomePage() {
  const { workspace, base, ws } = useWorkspace();
  const { me } = useSession();
  return (
    <Page title={workspace?.friendlyName || ws} subtitle={workspace?.description || "A workspace for your machine-learning work."}>
      <dl className="facts">
        <div>
          <dt>Location</dt>
          <dd>{workspace?.location ?? "…"}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(workspace?.creationTime)}</dd>
        </div>
        <div>
          <dt>Created by</dt>
          <dd title={workspace?.createdBy ?? undefined}>{principalLabel(workspace?.createdBy, me?.id)}</dd>
        </div>
        <div>
          <dt>Supporting resources</dt>
          <dd>
            {(workspace?.supportingResources ?? []).map((r) => (
              <span key={r.id} className="resource-pill" title={r.name}>
                {r.kind} <StatusChip status={r.status} />
              </span>
            ))}
          </dd>
        </div>
      </dl>
      <div className="cards">
        {CARDS.map((c) => (
          <Link key={c.path} to={`${base}/${c.path}`} className="card">
            <h3>{c.title}</h3>
            <p>{c.text}</p>
          </Link>
        ))}
      </div>
      <h2 className="section-title">Connect from Python</h2>
      <pre className="code-block">
        {`from mlyard import Workspace\nws = Workspace.get("${ws}", subscription_id="${workspace?.subscriptionId ?? ""}", resource_group="${workspace?.resourceGroup ?? ""}")\nws.write_config()`}
      </pre>
    </Page>
  );
}

export const routes: RouteObject[] = [{ index: true, element: <HomePage /> }];
