import { Link, useNavigate } from "react-router-dom";
import { useSession } from "../auth/session";
import { useTheme } from "../lib/theme";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

export function TopBar() {
  const { me, signOut } = useSession();
  const [theme, toggleTheme] = useTheme();
  const navigate = useNavigate();
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        <img src="/favicon.svg" alt="" width={20} height={20} />
        <span>mlyard studio</span>
      </Link>
      <WorkspaceSwitcher />
      <div className="topbar-right">
        <button
          type="button"
          className="btn-icon"
          onClick={toggleTheme}
          aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
          title={theme === "dark" ? "Light theme" : "Dark theme"}
          data-testid="theme-toggle"
        >
          {theme === "dark" ? "☀" : "☾"}
        </button>
        <Link to="/tokens" className="topbar-link">
          Access tokens
        </Link>
        <span className="user-name" data-testid="user-name">
          {me?.displayName || me?.name || ""}
        </span>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => void signOut().then(() => navigate("/signin"))}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}
