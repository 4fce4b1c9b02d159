// How a compute target's two states read in the table, and which ones are still moving.
import type { Schemas } from "../../api/client";

type ComputeOut = Schemas["ComputeOut"];

export const TYPE_NAMES: Record<string, string> = {
  local: "Local (server host)",
  computeinstance: "Compute instance",
  ray: "Ray cluster",
  attached: "Attached",
};

const MOVING = new Set(["Starting", "Stopping", "Restarting", "Creating", "Deleting"]);

/** Provisioning wins while it is not Succeeded (Creating, Deleting, Failed); then the runtime state. */
export function displayState(c: Pick<ComputeOut, "provisioningState" | "state" | "computeType">): string {
  if (c.provisioningState !== "Succeeded") return c.provisioningState;
  if (c.state) return c.state;
  return c.computeType === "local" ? "Ready" : "Succeeded";
}

/** Whether the target is between states, so that the page should ask again soon. */
export function isTransitional(c: Pick<ComputeOut, "provisioningState" | "state" | "computeType">): boolean {
  return MOVING.has(displayState(c));
}

export function sizeText(c: Pick<ComputeOut, "computeType" | "vmSize" | "properties">): string {
  const p = c.properties ?? {};
  if (c.computeType === "ray") {
    if (p.address) return `attached (${String(p.address)})`;
    return `${String(p.minNodes ?? 0)}–${String(p.maxNodes ?? "?")} nodes${c.vmSize ? `, ${c.vmSize}` : ""}`;
  }
  return c.vmSize ?? "—";
}
