import { describe, expect, it } from "vitest";
import { checkRoleJson, exampleRole } from "./roleJson";

describe("checkRoleJson", () => {
  it("accepts mlyard's shape", () => {
    const r = checkRoleJson(exampleRole("/subscriptions/s/resourceGroups/r/workspaces/w"));
    expect(r).toMatchObject({ ok: true, name: "Experiment Runner", flavour: "mlyard", actions: 3 });
  });

  it("accepts Azure's custom-role JSON unchanged", () => {
    const azure = {
      Name: "Data Scientist Custom",
      IsCustom: true,
      Description: "Can run experiments but not create compute.",
      Actions: ["Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/experiments/runs/submit/action"],
      NotActions: ["Microsoft.MachineLearningServices/workspaces/computes/*/write"],
      AssignableScopes: ["/subscriptions/s"],
    };
    const r = checkRoleJson(JSON.stringify(azure));
    expect(r).toMatchObject({ ok: true, name: "Data Scientist Custom", flavour: "azure", actions: 2 });
    if (r.ok) expect(r.body).toEqual(azure); // sent as pasted: the server maps Azure's keys
  });

  it("says where broken JSON stops", () => {
    const r = checkRoleJson('{\n  "name": "x",\n  "actions": [}\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^Not valid JSON/);
  });

  it.each([
    ["", "Paste the role's JSON."],
    ["[]", "must be one object"],
    ['{"actions": ["a/read"]}', "needs a name"],
    ['{"name": "x", "actions": "workspaces/read"}', "'actions' must be a list of strings"],
    ['{"name": "x", "Actions": [1]}', "'Actions' must be a list of strings"],
    ['{"name": "x", "Name": "y", "actions": ["a/read"]}', "given twice"],
    ['{"Name": "x", "IsCustom": false, "Actions": ["a/read"]}', "only custom roles"],
  ])("refuses %s", (text, message) => {
    const r = checkRoleJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });
});
