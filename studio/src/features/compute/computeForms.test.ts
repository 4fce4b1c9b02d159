import { describe, expect, it } from "vitest";
import { checkName } from "../../lib/names";
import { clusterBody, COMPUTE_NAME, instanceBody } from "./computeForms";
import { displayState, isTransitional, sizeText } from "./computeState";

describe("the create form", () => {
  it("sends an instance's size and idle shutdown as the SDK does", () => {
    expect(instanceBody({ vmSize: "small", idleMinutes: "45" })).toEqual({
      body: { computeType: "computeinstance", vmSize: "small", description: "", properties: { idleTimeBeforeShutdownMinutes: 45 } },
    });
    expect(instanceBody({ vmSize: "small", idleMinutes: " " })).toMatchObject({ body: { properties: {} } });
  });

  it.each([
    [{ vmSize: "", idleMinutes: "" }, "Choose a size."],
    [{ vmSize: "small", idleMinutes: "1.5" }, "whole number"],
    [{ vmSize: "small", idleMinutes: "0" }, "between 1 and"],
  ])("refuses an instance %j", (form, problem) => {
    const built = instanceBody(form);
    expect("problem" in built && built.problem).toContain(problem);
  });

  it("sends a cluster's nodes or its address", () => {
    expect(clusterBody({ mode: "owned", address: "", minNodes: "0", maxNodes: "4" })).toMatchObject({
      body: { computeType: "ray", properties: { minNodes: 0, maxNodes: 4 } },
    });
    expect(clusterBody({ mode: "address", address: " http://10.0.0.5:8265 ", minNodes: "", maxNodes: "" })).toMatchObject({
      body: { properties: { address: "http://10.0.0.5:8265" } },
    });
  });

  it.each([
    [{ mode: "owned" as const, address: "", minNodes: "3", maxNodes: "2" }, "cannot exceed"],
    [{ mode: "owned" as const, address: "", minNodes: "0", maxNodes: "0" }, "between 1 and"],
    [{ mode: "address" as const, address: "10.0.0.5:8265", minNodes: "", maxNodes: "" }, "dashboard address"],
  ])("refuses a cluster %j", (form, problem) => {
    const built = clusterBody(form);
    expect("problem" in built && built.problem).toContain(problem);
  });

  it("checks names with the server's rule", () => {
    expect(checkName(COMPUTE_NAME, "nb-1")).toBeNull();
    for (const bad of ["9bad", "a", "ends-", "has_underscore", "x".repeat(25)]) expect(checkName(COMPUTE_NAME, bad)).not.toBeNull();
  });
});

describe("states", () => {
  it("shows provisioning until it succeeded, then the runtime state", () => {
    expect(displayState({ provisioningState: "Creating", state: null, computeType: "computeinstance" })).toBe("Creating");
    expect(displayState({ provisioningState: "Succeeded", state: "Stopping", computeType: "computeinstance" })).toBe("Stopping");
    expect(displayState({ provisioningState: "Succeeded", state: null, computeType: "local" })).toBe("Ready");
  });

  it("polls only while something moves", () => {
    expect(isTransitional({ provisioningState: "Succeeded", state: "Starting", computeType: "computeinstance" })).toBe(true);
    expect(isTransitional({ provisioningState: "Deleting", state: "Running", computeType: "computeinstance" })).toBe(true);
    expect(isTransitional({ provisioningState: "Succeeded", state: "Running", computeType: "computeinstance" })).toBe(false);
    expect(isTransitional({ provisioningState: "Failed", state: null, computeType: "ray" })).toBe(false);
  });

  it("describes a cluster's size by its nodes or its address", () => {
    expect(sizeText({ computeType: "ray", vmSize: null, properties: { minNodes: 0, maxNodes: 4 } })).toBe("0–4 nodes");
    expect(sizeText({ computeType: "ray", vmSize: null, properties: { address: "http://h:8265" } })).toBe("attached (http://h:8265)");
    expect(sizeText({ computeType: "computeinstance", vmSize: "small", properties: {} })).toBe("small");
  });
});
