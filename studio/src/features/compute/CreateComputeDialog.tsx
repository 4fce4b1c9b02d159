// Create a compute instance (name, size from the server's catalogue, idle shutdown) or a Ray
// cluster (an existing cluster's address, or a head the server owns, with min/max nodes).
import { useEffect, useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { GuardedButton } from "../../components/access";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Modal } from "../../components/Modal";
import { checkName } from "../../lib/names";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../lib/workspace";
import { COMPUTE_NAME, clusterBody, instanceBody, type ClusterForm, type InstanceForm } from "./computeForms";

type ComputeOut = Schemas["ComputeOut"];

export function CreateComputeDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: ComputeOut) => void }) {
  const { pathParams, scope } = useWorkspace();
  const [kind, setKind] = useState<"computeinstance" | "ray">("computeinstance");
  const [name, setName] = useState("");
  const [instance, setInstance] = useState<InstanceForm>({ vmSize: "", idleMinutes: "60" });
  const [cluster, setCluster] = useState<ClusterForm>({ mode: "owned", address: "", minNodes: "0", maxNodes: "4" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const sizes = useAsync(
    () =>
      unwrap(
        api.GET("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/vmSizes", {
          params: { path: pathParams },
        }),
      ),
    [pathParams.subscriptionId, pathParams.resourceGroupName, pathParams.workspaceName],
  );
  useEffect(() => {
    const first = sizes.data?.value[0]?.name;
    if (first && !instance.vmSize) setInstance((f) => ({ ...f, vmSize: first }));
  }, [sizes.data, instance.vmSize]);

  const nameProblem = checkName(COMPUTE_NAME, name);
  const built = kind === "computeinstance" ? instanceBody(instance) : clusterBody(cluster);
  const problem = nameProblem ?? ("problem" in built ? built.problem : null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (problem || !("body" in built)) return;
    setBusy(true);
    setError(null);
    try {
      const made = await unwrap(
        api.PUT("/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/computes/{computeName}", {
          params: { path: { ...pathParams, computeName: name } },
          body: built.body,
        }),
      );
      onCreated(made);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Modal title="Create compute" onClose={onClose} wide>
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <fieldset className="field">
          <span>Type</span>
          <div className="radio-row">
            <label>
              <input type="radio" name="kind" checked={kind === "computeinstance"} onChange={() => setKind("computeinstance")} />
              Compute instance (JupyterLab)
            </label>
            <label>
              <input type="radio" name="kind" checked={kind === "ray"} onChange={() => setKind("ray")} />
              Cluster (Ray)
            </label>
          </div>
        </fieldset>
        <label className="field">
          <span>Name</span>
          <input aria-label="Compute name" value={name} onChange={(e) => setName(e.target.value)} placeholder="my-instance" autoComplete="off" />
          {name && nameProblem && <span className="field-error">{nameProblem}</span>}
        </label>
        {kind === "computeinstance" ? (
          <div className="field-grid">
            <label className="field">
              <span>Size</span>
              <select aria-label="Size" value={instance.vmSize} onChange={(e) => setInstance({ ...instance, vmSize: e.target.value })}>
                {(sizes.data?.value ?? []).map((s) => (
                  <option key={s.name} value={s.name}>
                    {`${s.name} — ${s.cores} cores, ${s.memoryGb} GB, ${s.pricePerHour}/hour`}
                  </option>
                ))}
              </select>
              <ErrorBanner error={sizes.error} />
            </label>
            <label className="field">
              <span>Idle shutdown (minutes)</span>
              <input
                aria-label="Idle shutdown minutes"
                inputMode="numeric"
                value={instance.idleMinutes}
                onChange={(e) => setInstance({ ...instance, idleMinutes: e.target.value })}
                placeholder="empty: never"
              />
              <span className="field-note">Stops the instance after this long without kernel or terminal activity.</span>
            </label>
          </div>
        ) : (
          <>
            <fieldset className="field">
              <span>Cluster</span>
              <div className="radio-row">
                <label>
                  <input type="radio" name="mode" checked={cluster.mode === "owned"} onChange={() => setCluster({ ...cluster, mode: "owned" })} />
                  A Ray head this server starts when jobs come
                </label>
                <label>
                  <input type="radio" name="mode" checked={cluster.mode === "address"} onChange={() => setCluster({ ...cluster, mode: "address" })} />
                  An existing cluster
                </label>
              </div>
            </fieldset>
            {cluster.mode === "address" ? (
              <label className="field">
                <span>Dashboard address</span>
                <input aria-label="Cluster address" value={cluster.address} onChange={(e) => setCluster({ ...cluster, address: e.target.value })} placeholder="http://10.0.0.5:8265" />
              </label>
            ) : (
              <div className="field-grid">
                <label className="field">
                  <span>Minimum nodes</span>
                  <input aria-label="Minimum nodes" inputMode="numeric" value={cluster.minNodes} onChange={(e) => setCluster({ ...cluster, minNodes: e.target.value })} />
                  <span className="field-note">0 scales the head to zero when idle.</span>
                </label>
                <label className="field">
                  <span>Maximum nodes</span>
                  <input aria-label="Maximum nodes" inputMode="numeric" value={cluster.maxNodes} onChange={(e) => setCluster({ ...cluster, maxNodes: e.target.value })} />
                </label>
              </div>
            )}
          </>
        )}
        {name && problem && problem !== nameProblem && <div className="field-error">{problem}</div>}
        <ErrorBanner error={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <GuardedButton action="workspaces/computes/write" scope={scope} type="submit" className="btn btn-primary" disabled={!!problem || busy}>
            {busy ? "Creating…" : "Create"}
          </GuardedButton>
        </div>
      </form>
    </Modal>
  );
}
