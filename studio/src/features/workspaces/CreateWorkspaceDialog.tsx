// Create a workspace: subscription, resource group (existing or new), a name checked while it is
// typed (the server's rule, then whether it is free), location, description, tags.
import { useEffect, useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Modal } from "../../components/Modal";
import { TagsEditor, cleanTags } from "../../components/TagsEditor";
import { RESOURCE_GROUP_NAME, WORKSPACE_NAME, checkName } from "../../lib/names";
import { useAsync } from "../../lib/useAsync";

type WorkspaceOut = Schemas["WorkspaceOut"];
type SubscriptionOut = Schemas["SubscriptionOut"];

/** "checking" while the server is asked whether the name is free. */
type Availability = "unknown" | "checking" | "free" | "taken";

export function CreateWorkspaceDialog({
  subscriptions,
  initialSubscription,
  onClose,
  onCreated,
}: {
  subscriptions: SubscriptionOut[];
  initialSubscription?: string;
  onClose: () => void;
  onCreated: (w: WorkspaceOut) => void;
}) {
  const [sub, setSub] = useState(initialSubscription || subscriptions[0]?.subscriptionId || "");
  const [newGroup, setNewGroup] = useState(false);
  const [group, setGroup] = useState("");
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [location, setLocation] = useState("local");
  const [friendlyName, setFriendlyName] = useState("");
  const [description, setDescription] = useState("");
  const [tags, setTags] = useState<Record<string, string>>({});
  const [availability, setAvailability] = useState<Availability>("unknown");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const groups = useAsync(
    () =>
      sub
        ? unwrap(api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups", { params: { path: { subscriptionId: sub } } }))
        : Promise.resolve([]),
    [sub],
  );
  useEffect(() => {
    const list = groups.data ?? [];
    if (!newGroup && list.length && !list.some((g) => g.name === group)) setGroup(list[0].name);
    if (!groups.loading && list.length === 0) setNewGroup(true);
  }, [groups.data, groups.loading, newGroup, group]);

  const nameProblem = checkName(WORKSPACE_NAME, name);
  const groupProblem = newGroup ? checkName(RESOURCE_GROUP_NAME, group) : group ? null : "Choose a resource group.";

  // Whether the name is free in the chosen group, asked once typing pauses.
  useEffect(() => {
    setAvailability("unknown");
    if (nameProblem || groupProblem || newGroup || !sub) return;
    const t = setTimeout(() => {
      setAvailability("checking");
      api
        .GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}", {
          params: { path: { subscriptionId: sub, resourceGroupName: group, workspaceName: name } },
        })
        .then((r) => setAvailability(r.response.ok ? "taken" : "free"), () => setAvailability("unknown"));
    }, 350);
    return () => clearTimeout(t);
  }, [name, group, sub, newGroup, nameProblem, groupProblem]);

  const scope = sub && group && !groupProblem ? `/subscriptions/${sub}/resourceGroups/${group}` : `/subscriptions/${sub}`;
  const invalid = !sub || !!nameProblem || !!groupProblem || availability === "taken";

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (invalid) {
      setTouched(true);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (newGroup) {
        await unwrap(
          api.POST("/api/v1/subscriptions/{subscriptionId}/resourceGroups", {
            params: { path: { subscriptionId: sub } },
            body: { name: group, location: location || null },
          }),
        );
      }
      const made = await unwrap(
        api.POST("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces", {
          params: { path: { subscriptionId: sub, resourceGroupName: group } },
          body: {
            name,
            location: location || null,
            friendlyName: friendlyName || null,
            description: description || null,
            tags: cleanTags(tags),
          },
        }),
      );
      onCreated(made);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const showNameProblem = (touched || name.length > 0) && nameProblem;
  return (
    <Modal title="Create a workspace" onClose={onClose} wide>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <label className="field">
          <span>Subscription</span>
          {subscriptions.length ? (
            <select value={sub} onChange={(e) => setSub(e.target.value)} aria-label="Subscription">
              {subscriptions.map((s) => (
                <option key={s.subscriptionId} value={s.subscriptionId}>
                  {s.displayName && s.displayName !== s.subscriptionId ? `${s.displayName} (${s.subscriptionId})` : s.subscriptionId}
                </option>
              ))}
            </select>
          ) : (
            <span className="field-note">
              You can read no subscription. Ask an owner for access, or create one with <code>mlyard subscription create</code>.
            </span>
          )}
        </label>
        <fieldset className="field">
          <span>Resource group</span>
          <div className="radio-row">
            <label>
              <input type="radio" checked={!newGroup} disabled={!groups.data?.length} onChange={() => { setNewGroup(false); setGroup(groups.data?.[0]?.name ?? ""); }} />
              Existing
            </label>
            <label>
              <input type="radio" checked={newGroup} onChange={() => { setNewGroup(true); setGroup(""); }} />
              New
            </label>
          </div>
          {newGroup ? (
            <input aria-label="New resource group name" placeholder="my-resource-group" value={group} onChange={(e) => setGroup(e.target.value)} />
          ) : (
            <select aria-label="Resource group" value={group} onChange={(e) => setGroup(e.target.value)}>
              {(groups.data ?? []).map((g) => (
                <option key={g.name} value={g.name}>
                  {g.name}
                </option>
              ))}
            </select>
          )}
          {newGroup && group && groupProblem && <span className="field-error">{groupProblem}</span>}
        </fieldset>
        <label className="field">
          <span>Workspace name</span>
          <input
            aria-label="Workspace name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            onBlur={() => setTouched(true)}
            aria-invalid={!!showNameProblem || availability === "taken"}
            placeholder="my-workspace"
            autoFocus
          />
          {showNameProblem ? (
            <span className="field-error" data-testid="name-error">
              {nameProblem}
            </span>
          ) : availability === "taken" ? (
            <span className="field-error" data-testid="name-error">
              A workspace named '{name}' already exists in {group}.
            </span>
          ) : availability === "free" ? (
            <span className="field-ok">'{name}' is available.</span>
          ) : availability === "checking" ? (
            <span className="field-note">Checking…</span>
          ) : (
            <span className="field-note">{WORKSPACE_NAME.description}.</span>
          )}
        </label>
        <div className="field-grid">
          <label className="field">
            <span>Location</span>
            <input aria-label="Location" value={location} onChange={(e) => setLocation(e.target.value)} />
          </label>
          <label className="field">
            <span>Display name (optional)</span>
            <input aria-label="Display name" value={friendlyName} onChange={(e) => setFriendlyName(e.target.value)} />
          </label>
        </div>
        <label className="field">
          <span>Description (optional)</span>
          <textarea aria-label="Description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="field">
          <span>Tags</span>
          <TagsEditor value={tags} onChange={setTags} />
        </div>
        <ErrorBanner error={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <GuardedButton
            type="submit"
            className="btn btn-primary"
            action={newGroup ? "resourceGroups/write" : "workspaces/write"}
            scope={newGroup ? `/subscriptions/${sub}` : scope}
            disabled={invalid || busy}
            showReason
          >
            {busy ? "Creating…" : "Create"}
          </GuardedButton>
        </div>
      </form>
    </Modal>
  );
}
