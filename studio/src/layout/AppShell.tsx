import { Outlet } from "react-router-dom";
import { RequireAuth } from "../auth/session";
import { TopBar } from "./TopBar";

/** Every signed-in page: the top bar, then the page (the workspace layout adds the left nav). */
export function AppShell() {
  return (
    <RequireAuth>
      <div className="app">
        <TopBar />
        <div className="app-main">
          <Outlet />
        </div>
      </div>
    </RequireAuth>
  );
}
