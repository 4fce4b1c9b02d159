// Mirrors src/mlyard/core/names.py, so that a form says what is wrong while the user types.
// The server checks again; keep the two in step (names.test.ts pins the cases).
export interface NameRule {
  kind: string;
  min: number;
  max: number;
  pattern: RegExp;
  description: string;
}

export const WORKSPACE_NAME: NameRule = {
  kind: "workspace",
  min: 3,
  max: 33,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
  description: "use 3 to 33 letters, digits, hyphens or underscores, starting with a letter or digit",
};

export const RESOURCE_GROUP_NAME: NameRule = {
  kind: "resource group",
  min: 1,
  max: 90,
  pattern: /^[A-Za-z0-9_.()-]*[A-Za-z0-9_()-]$/,
  description: "use 1 to 90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period",
};

export const SUBSCRIPTION_ID: NameRule = {
  kind: "subscription",
  min: 1,
  max: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]*$/,
  description: "use 1 to 64 letters, digits, hyphens or underscores, starting with a letter or digit",
};

export const TOKEN_NAME: NameRule = {
  kind: "token",
  min: 1,
  max: 100,
  // eslint-disable-next-line no-control-regex
  pattern: /^[^\x00-\x1f]+$/,
  description: "use 1 to 100 printable characters",
};

/** null when `name` is valid, else the server's own wording of the problem. */
export function checkName(rule: NameRule, name: string): string | null {
  if (name.length === 0) return `Enter a ${rule.kind} name.`;
  if (name.length < rule.min || name.length > rule.max || !rule.pattern.test(name)) {
    return `'${name}' is not a valid ${rule.kind} name: ${rule.description}.`;
  }
  return null;
}
