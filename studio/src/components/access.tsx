// "Every page honours access": what the user cannot do is disabled with the server's reason.
//
//   const can = useCan("workspaces/delete", scope);   // {allowed, reason, loading}
//   <GuardedButton action="computes/write" scope={scope} onClick={...}>Create</GuardedButton>
//
// Questions asked in the same tick for the same scope go to the server as one
// POST /api/v1/checkAccess; answers are cached until clearAccessCache() (after a role change).
import { useEffect, useState, type ButtonHTMLAttributes } from "react";
import { api, unwrap } from "../api/client";

export interface Decision {
  allowed: boolean;
  reason: string;
}

const cache = new Map<string, Promise<Decision>>();
const pending = new Map<string, Map<string, (d: Decision) => void>>();

function key(scope: string, action: string): string {
  return `${scope}\n${action}`;
}

function flush(scope: string): void {
  const waiting = pending.get(scope);
  pending.delete(scope);
  if (!waiting) return;
  const actions = [...waiting.keys()];
  unwrap(api.POST("/api/v1/checkAccess", { body: { scope, actions } }))
    .then((decisions) => {
      const byAction = new Map(decisions.map((d) => [d.action, d]));
      for (const [action, resolve] of waiting) {
        const d = byAction.get(action);
        resolve(d ? { allowed: d.allowed, reason: d.reason } : { allowed: false, reason: "The server did not answer for this action." });
      }
    })
    .catch((e: unknown) => {
      for (const action of actions) {
        cache.delete(key(scope, action));
        waiting.get(action)?.({ allowed: false, reason: e instanceof Error ? e.message : String(e) });
      }
    });
}

/** Ask whether the signed-in user may do `action` at `scope` (batched, cached). */
export function checkAccess(action: string, scope: string): Promise<Decision> {
  const k = key(scope, action);
  const known = cache.get(k);
  if (known) return known;
  const promise = new Promise<Decision>((resolve) => {
    let waiting = pending.get(scope);
    if (!waiting) {
      waiting = new Map();
      pending.set(scope, waiting);
      queueMicrotask(() => flush(scope));
    }
    waiting.set(action, resolve);
  });
  cache.set(k, promise);
  return promise;
}

/** Forget cached answers (after a role assignment changes, or on sign-out). */
export function clearAccessCache(): void {
  cache.clear();
}

export interface Can {
  allowed: boolean;
  reason: string;
  loading: boolean;
}

export function useCan(action: string, scope: string | null | undefined): Can {
  const [state, setState] = useState<Can>({ allowed: false, reason: "Checking access…", loading: true });
  useEffect(() => {
    if (!scope) {
      setState({ allowed: false, reason: "No scope.", loading: false });
      return;
    }
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    void checkAccess(action, scope).then((d) => {
      if (live) setState({ ...d, loading: false });
    });
    return () => {
      live = false;
    };
  }, [action, scope]);
  return state;
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  action: string;
  scope: string | null | undefined;
  /** Also write the reason next to the button (default: tooltip only). */
  showReason?: boolean;
};

/** A button that is enabled only when the user may do `action` at `scope`; else disabled with the reason. */
export function GuardedButton({ action, scope, showReason, disabled, title, className, children, ...rest }: ButtonProps) {
  const can = useCan(action, scope);
  const denied = !can.loading && !can.allowed;
  return (
    <span className="guarded">
      <button
        type="button"
        {...rest}
        className={className ?? "btn"}
        disabled={disabled || !can.allowed}
        title={denied ? can.reason : title}
        data-action={action}
        data-denied={denied ? "true" : undefined}
      >
        {children}
      </button>
      {denied && showReason && <span className="guard-reason">{can.reason}</span>}
    </span>
  );
}
