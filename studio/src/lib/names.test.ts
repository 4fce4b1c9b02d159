// The studio's copy of the server's name rules (src/mlyard/core/names.py): the same verdicts.
import { describe, expect, it } from "vitest";
import { RESOURCE_GROUP_NAME, TOKEN_NAME, WORKSPACE_NAME, checkName } from "./names";

describe("workspace names", () => {
  it.each(["abc", "my-ws", "ws_1", "A1b", "a".repeat(33), "9lives"])("accepts %s", (name) => {
    expect(checkName(WORKSPACE_NAME, name)).toBeNull();
  });

  it.each(["ab", "-abc", "_abc", "has space", "dot.ted", "a".repeat(34), "ünï", "abc/"])("refuses %s with the rule", (name) => {
    const problem = checkName(WORKSPACE_NAME, name);
    expect(problem).toContain(`'${name}' is not a valid workspace name`);
    expect(problem).toContain("3 to 33 letters");
  });

  it("asks for a name when empty", () => {
    expect(checkName(WORKSPACE_NAME, "")).toBe("Enter a workspace name.");
  });
});

describe("resource group names", () => {
  it.each(["rg", "my.rg", "(x)", "a_b-c"])("accepts %s", (name) => {
    expect(checkName(RESOURCE_GROUP_NAME, name)).toBeNull();
  });

  it.each(["ends.", "sp ace", "a".repeat(91)])("refuses %s", (name) => {
    expect(checkName(RESOURCE_GROUP_NAME, name)).toMatch(/not a valid resource group name/);
  });
});

describe("token names", () => {
  it("refuses control characters", () => {
    expect(checkName(TOKEN_NAME, "a\tb")).not.toBeNull();
    expect(checkName(TOKEN_NAME, "laptop (home)")).toBeNull();
  });
});
