// The create form's fields turned into the request body, with the problem a user can fix; kept
// apart from the dialog so that the rules are tested without a browser (computeForms.test.ts).
import type { Schemas } from "../../api/client";
import type { NameRule } from "../../lib/names";

type ComputeCreate = Schemas["ComputeCreate"];

/** Mirrors COMPUTE_NAME of src/mlyard/core/entities/compute.py. */
export const COMPUTE_NAME: NameRule = {
  kind: "compute target",
  min: 2,
  max: 24,
  pattern: /^[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/,
  description: "use 2 to 24 letters, digits or hyphens, starting with a letter and not ending with a hyphen",
};

export interface InstanceForm {
  vmSize: string;
  /** Empty: never stop when idle. */
  idleMinutes: string;
}

export interface ClusterForm {
  mode: "owned" | "address";
  address: string;
  minNodes: string;
  maxNodes: string;
}

export type Built = { body: ComputeCreate } | { problem: string };

function whole(text: string, what: string, min: number, max: number): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `${what} must be a whole number.`;
  const n = Number(t);
  if (n < min || n > max) return `${what} must be between ${min} and ${max}.`;
  return n;
}

export function instanceBody(f: InstanceForm): Built {
  if (!f.vmSize) return { problem: "Choose a size." };
  const properties: Record<string, unknown> = {};
  if (f.idleMinutes.trim()) {
    const n = whole(f.idleMinutes, "Idle shutdown", 1, 60 * 24 * 14);
    if (typeof n === "string") return { problem: n };
    properties.idleTimeBeforeShutdownMinutes = n;
  }
  return { body: { computeType: "computeinstance", vmSize: f.vmSize, description: "", properties } };
}

export function clusterBody(f: ClusterForm): Built {
  if (f.mode === "address") {
    const a = f.address.trim();
    if (!/^https?:\/\/[^\s/]+/.test(a)) return { problem: "Enter the cluster's dashboard address, such as http://10.0.0.5:8265." };
    return { body: { computeType: "ray", description: "", properties: { address: a } } };
  }
  const min = whole(f.minNodes, "Minimum nodes", 0, 1024);
  if (typeof min === "string") return { problem: min };
  const max = whole(f.maxNodes, "Maximum nodes", 1, 1024);
  if (typeof max === "string") return { problem: max };
  if (min > max) return { problem: "Minimum nodes cannot exceed maximum nodes." };
  return { body: { computeType: "ray", description: "", properties: { minNodes: min, maxNodes: max } } };
}
