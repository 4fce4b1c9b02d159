// The studio's routes: /signin, then (signed in) /, /tokens and the workspace sections.
import { createBrowserRouter, Link, RouterProvider, type RouteObject } from "react-router-dom";
import { SessionProvider } from "./auth/session";
import { EmptyState } from "./components/EmptyState";
import { Page } from "./components/Page";
import { SignInPage } from "./features/signin/SignInPage";
import { TokensPage } from "./features/tokens/TokensPage";
import { workspaceRoutes } from "./features/workspaceRoutes";
import { WorkspacesPage } from "./features/workspaces/WorkspacesPage";
import { AppShell } from "./layout/AppShell";
import { WorkspaceLayout } from "./layout/WorkspaceLayout";

function NotFound() {
  return (
    <div className="page-solo">
      <Page title="Page not found">
        <EmptyState title="There is no studio page at this address" action={<Link to="/">Go to your workspaces</Link>}>
          The link may be old, or the workspace may have been deleted.
        </EmptyState>
      </Page>
    </div>
  );
}

function SectionNotFound() {
  return (
    <Page title="Page not found">
      <EmptyState title="This workspace has no such page">Choose a section in the navigation on the left.</EmptyState>
    </Page>
  );
}

export const routes: RouteObject[] = [
  { path: "/signin", element: <SignInPage /> },
  {
    element: <AppShell />,
    children: [
      { path: "/", element: <div className="page-solo"><WorkspacesPage /></div> },
      { path: "/tokens", element: <TokensPage /> },
      {
        path: "/subscriptions/:sub/resourceGroups/:rg/workspaces/:ws",
        element: <WorkspaceLayout />,
        children: [...workspaceRoutes, { path: "*", element: <SectionNotFound /> }],
      },
      { path: "*", element: <NotFound /> },
    ],
  },
];

const router = createBrowserRouter(routes);

export function App() {
  return (
    <SessionProvider>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}
