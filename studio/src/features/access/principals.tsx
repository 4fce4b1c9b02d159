// A picker over the directory's users, groups and service principals. Each list is read on its
// own: a user who may not list one kind still picks from the others, or types a name or id.
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { useAsync } from "../../lib/useAsync";

export type PrincipalKind = "user" | "group" | "sp";

export interface PrincipalOption {
  /** What the server resolves: the principal's id. */
  ref: string;
  label: string;
}

const KIND_NAMES: Record<PrincipalKind, string> = { user: "User", group: "Group", sp: "Service principal" };

function useOptions(kind: PrincipalKind) {
  return useAsync(async (): Promise<PrincipalOption[]> => {
    if (kind === "user") {
      const users = await unwrap(api.GET("/api/v1/users"));
      return users.map((u) => ({ ref: u.id, label: u.displayName && u.displayName !== u.username ? `${u.username} (${u.displayName})` : u.username }));
    }
    if (kind === "group") {
      const groups = await unwrap(api.GET("/api/v1/groups"));
      return groups.map((g) => ({ ref: g.id, label: g.name }));
    }
    const sps = await unwrap(api.GET("/api/v1/servicePrincipals"));
    return sps.map((s) => ({ ref: s.id, label: `${s.displayName} (${s.clientId})` }));
  }, [kind]);
}

/** Kind + principal; `onChange` gets the server's reference (an id, or what the user typed). */
export function PrincipalPicker({ value, onChange, exclude }: { value: string; onChange: (ref: string) => void; exclude?: ReadonlySet<string> }) {
  const [kind, setKind] = useState<PrincipalKind>("user");
  const options = useOptions(kind);
  const list = (options.data ?? []).filter((o) => !exclude?.has(o.ref));
  const typed = options.error != null;
  return (
    <div className="field-grid">
      <label className="field">
        <span>Principal type</span>
        <select
          aria-label="Principal type"
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as PrincipalKind);
            onChange("");
          }}
        >
          {(Object.keys(KIND_NAMES) as PrincipalKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_NAMES[k]}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{KIND_NAMES[kind]}</span>
        {typed ? (
          <>
            <input aria-label="Principal" value={value} onChange={(e) => onChange(e.target.value.trim() ? `${kind}:${e.target.value.trim()}` : "")} placeholder="name, client id or id" />
            <span className="field-note">You may not list them ({(options.error as Error).message}); type the name.</span>
          </>
        ) : (
          <select aria-label="Principal" value={value} onChange={(e) => onChange(e.target.value)} disabled={options.loading}>
            <option value="">{options.loading ? "Loading…" : list.length ? "Choose…" : "None to choose"}</option>
            {list.map((o) => (
              <option key={o.ref} value={o.ref}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </label>
    </div>
  );
}
