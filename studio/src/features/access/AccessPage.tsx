// Access control of the workspace: role assignments here (inherited ones marked), role
// definitions, and the directory's groups. The tab is kept in the URL (?tab=roles).
import { useSearchParams } from "react-router-dom";
import { Page } from "../../components/Page";
import { useWorkspace } from "../../lib/workspace";
import { AssignmentsTab } from "./AssignmentsTab";
import { GroupsTab } from "./GroupsTab";
import { RolesTab } from "./RolesTab";
import "./access.css";

const TABS = [
  { key: "assignments", label: "Role assignments" },
  { key: "roles", label: "Roles" },
  { key: "groups", label: "Groups" },
] as const;

export function AccessPage() {
  const { scope } = useWorkspace();
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((t) => t.key === params.get("tab"))?.key ?? "assignments";
  return (
    <Page title="Access control" subtitle={<span className="mono small">{scope}</span>}>
      <div className="access-tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            aria-selected={t.key === tab}
            className={t.key === tab ? "access-tab active" : "access-tab"}
            onClick={() => setParams(t.key === "assignments" ? {} : { tab: t.key })}
          >
            {t.label}
          </button>
        ))}
      </div>
      {tab === "assignments" && <AssignmentsTab />}
      {tab === "roles" && <RolesTab />}
      {tab === "groups" && <GroupsTab />}
    </Page>
  );
}
