import { useEffect, type ReactNode } from "react";

/** A page's title bar (title, subtitle, actions on the right) and its body. */
export function Page({
  title,
  subtitle,
  actions,
  children,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  // The browser tab says where the user is (a page title that is not plain text keeps the default).
  useEffect(() => {
    if (typeof title === "string") document.title = `${title} · mlyard studio`;
  }, [title]);
  return (
    <section className="page">
      <header className="page-header">
        <div>
          <h1>{title}</h1>
          {subtitle && <div className="page-subtitle">{subtitle}</div>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      <div className="page-body">{children}</div>
    </section>
  );
}
