import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { getToken } from "../../api/client";
import { useSession } from "../../auth/session";
import { ErrorBanner } from "../../components/ErrorBanner";

export function SignInPage() {
  const { signIn } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  // Only a path inside the studio: never an open redirect to another site.
  const raw = params.get("next") ?? "/";
  const next = raw.startsWith("/") && !raw.startsWith("//") ? raw : "/";

  if (getToken() && !busy) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form className="signin-card" onSubmit={(e) => void submit(e)}>
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>mlyard studio</span>
        </div>
        <p className="muted">Sign in to manage your workspaces.</p>
        <label className="field">
          <span>User name</span>
          <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !username || !password}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          The first user is <code>admin</code>; <code>mlyard up</code> printed its password once and saved it in
          MLYARD_HOME/admin-password.
        </p>
      </form>
    </div>
  );
}
