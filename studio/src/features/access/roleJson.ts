// A custom role pasted as JSON, in mlyard's shape ({name, actions, notActions, assignableScopes})
// or as Azure's custom-role JSON ({Name, IsCustom, Actions, NotActions, AssignableScopes}),
// checked in the browser for what can be said before sending; the server validates again and
// its message is shown as it is.

export type RoleJsonCheck =
  | { ok: true; body: Record<string, unknown>; name: string; flavour: "mlyard" | "azure"; actions: number }
  | { ok: false; error: string };

const LIST_KEYS = ["actions", "notActions", "dataActions", "notDataActions", "assignableScopes"];

function lowerFirst(key: string): string {
  return key.slice(0, 1).toLowerCase() + key.slice(1);
}

/** Where JSON.parse stopped, as "line L, column C" when the engine says a position. */
function where(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const at = Number(m[1]);
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return `${message} (line ${line}, column ${column})`;
}

export function checkRoleJson(text: string): RoleJsonCheck {
  if (!text.trim()) return { ok: false, error: "Paste the role's JSON." };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${where(text, (e as Error).message)}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: "The JSON must be one object: {\"name\": …, \"actions\": […]}." };
  }
  const body = parsed as Record<string, unknown>;
  const flavour = Object.keys(body).some((k) => /^[A-Z]/.test(k)) ? "azure" : "mlyard";
  const seen = new Map<string, string>();
  for (const key of Object.keys(body)) {
    const camel = lowerFirst(key);
    const other = seen.get(camel);
    if (other !== undefined) return { ok: false, error: `'${key}' is given twice (as '${other}' too): keep one spelling.` };
    seen.set(camel, key);
  }
  const get = (k: string): unknown => body[seen.get(k) ?? k];
  const name = get("name");
  if (typeof name !== "string" || !name.trim()) return { ok: false, error: "A role needs a name (\"name\", or Azure's \"Name\")." };
  for (const k of LIST_KEYS) {
    const v = get(k);
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) {
      return { ok: false, error: `'${seen.get(k)}' must be a list of strings.` };
    }
  }
  if (get("isCustom") === false) {
    return { ok: false, error: "IsCustom is false: only custom roles can be created (the built-in ones exist already)." };
  }
  const actions = (get("actions") as string[] | undefined) ?? [];
  return { ok: true, body, name, flavour, actions: actions.length };
}

/** A starting point for the editor: a role that may read the workspace and run experiments. */
export function exampleRole(scope: string): string {
  return JSON.stringify(
    {
      name: "Experiment Runner",
      description: "Reads the workspace, runs experiments and uses compute.",
      actions: ["workspaces/read", "workspaces/experiments/*", "workspaces/computes/read"],
      notActions: [],
      assignableScopes: [scope],
    },
    null,
    2,
  );
}
