// The directory's groups and their members: choose a group, add or remove members (users,
// service principals or other groups). Groups belong to the whole server, so access to them is
// checked at the root scope "/".
import { useMemo, useState } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { clearAccessCache, GuardedButton } from "../../components/access";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/useAsync";
import { PrincipalPicker } from "./principals";

type GroupOut = Schemas["GroupOut"];
type PrincipalRefOut = Schemas["PrincipalRefOut"];
const ROOT = "/";

export function GroupsTab() {
  const [chosen, setChosen] = useState<string | null>(null);
  const groups = useAsync(() => unwrap(api.GET("/api/v1/groups")), []);
  const columns: Column<GroupOut>[] = [
    { key: "name", header: "Group", sortable: true, render: (g) => <strong>{g.name}</strong> },
    { key: "description", header: "Description", render: (g) => <span className="muted">{g.description}</span> },
    { key: "createdAt", header: "Created", sortable: true, render: (g) => formatTime(g.createdAt) },
  ];
  const fetchPage = useMemo(() => localPages(groups.data ?? [], (g) => `${g.name} ${g.description}`), [groups.data]);
  const group = groups.data?.find((g) => g.name === chosen) ?? null;

  return (
    <div className="access-groups">
      <div>
        <ErrorBanner error={groups.error} onRetry={groups.reload} />
        {groups.data && (
          <DataTable
            label="Groups"
            columns={columns}
            rowKey={(g) => g.id}
            fetchPage={fetchPage}
            reloadKey={groups.data}
            initialSort={{ key: "name", desc: false }}
            onRowClick={(g) => setChosen(g.name)}
            empty={
              <EmptyState title="No groups yet" code={`mlyard ad group create --name data-team\nmlyard ad group member add --group data-team --member alice`}>
                Groups let one role assignment cover a team.
              </EmptyState>
            }
          />
        )}
      </div>
      {group ? <Members group={group} /> : groups.data?.length ? <p className="muted">Choose a group to see its members.</p> : null}
    </div>
  );
}

function Members({ group }: { group: GroupOut }) {
  const [adding, setAdding] = useState("");
  const [error, setError] = useState<unknown>(null);
  const members = useAsync(() => unwrap(api.GET("/api/v1/groups/{groupName}/members", { params: { path: { groupName: group.name } } })), [group.name]);
  const present = useMemo(() => new Set((members.data ?? []).map((m) => m.id).concat(group.id)), [members.data, group.id]);

  async function change(kind: "add" | "remove", member: string) {
    setError(null);
    try {
      const path = { params: { path: { groupName: group.name, member } } };
      if (kind === "add") await unwrap(api.PUT("/api/v1/groups/{groupName}/members/{member}", path));
      else await unwrap(api.DELETE("/api/v1/groups/{groupName}/members/{member}", path));
      setAdding("");
      clearAccessCache(); // membership changes what the group's assignments give
      members.reload();
    } catch (e) {
      setError(e);
    }
  }

  const columns: Column<PrincipalRefOut>[] = [
    { key: "name", header: "Member", sortable: true, render: (m) => <span className="mono">{m.name}</span> },
    { key: "type", header: "Type", sortable: true },
    {
      key: "actions",
      header: "",
      render: (m) => (
        <GuardedButton action="groups/members/delete" scope={ROOT} className="btn btn-small btn-danger" onClick={() => void change("remove", m.id)} aria-label={`Remove ${m.name}`}>
          Remove
        </GuardedButton>
      ),
    },
  ];
  const fetchPage = useMemo(() => localPages(members.data ?? [], (m) => `${m.name} ${m.type}`), [members.data]);

  return (
    <div className="panel">
      <h2>Members of {group.name}</h2>
      <div className="access-add-member">
        <PrincipalPicker value={adding} onChange={setAdding} exclude={present} />
        <GuardedButton action="groups/members/write" scope={ROOT} className="btn btn-primary" showReason disabled={!adding} onClick={() => void change("add", adding)}>
          Add member
        </GuardedButton>
      </div>
      <ErrorBanner error={error || members.error} />
      {members.data && (
        <DataTable
          label={`Members of ${group.name}`}
          columns={columns}
          rowKey={(m) => m.id}
          fetchPage={fetchPage}
          reloadKey={members.data}
          noFilter
          empty={<EmptyState title="No members yet" code={`mlyard ad group member add --group ${group.name} --member alice`} />}
        />
      )}
    </div>
  );
}
