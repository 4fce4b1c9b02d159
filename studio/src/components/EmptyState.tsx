import type { ReactNode } from "react";

/** An empty list or a page still to come: says what it is and what to do next. */
export function EmptyState({
  title,
  children,
  action,
  code,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  /** A command or SDK snippet to copy. */
  code?: string;
}) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <h2>{title}</h2>
      {children && <div className="empty-text">{children}</div>}
      {code && <pre className="code-block">{code}</pre>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
