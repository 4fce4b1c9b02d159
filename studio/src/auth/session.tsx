// The signed-in user: the token lives in localStorage (api/client.ts); `useSession()` gives
// who it is and signOut(). <RequireAuth> sends a visitor without a token to /signin.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { api, getToken, setToken, unwrap, type Schemas } from "../api/client";
import { clearAccessCache } from "../components/access";

export type Me = Schemas["WhoAmIOut"];

interface Session {
  me: Me | null;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [token, setTokenState] = useState(getToken());

  useEffect(() => {
    if (!token) {
      setMe(null);
      return;
    }
    let live = true;
    unwrap(api.GET("/api/v1/me"))
      .then((who) => live && setMe(who))
      .catch(() => live && setMe(null));
    return () => {
      live = false;
    };
  }, [token]);

  const signIn = useCallback(async (username: string, password: string) => {
    const made = await unwrap(api.POST("/api/v1/auth/login", { body: { username, password, tokenName: "studio" } }));
    setToken(made.token);
    clearAccessCache();
    setTokenState(made.token);
  }, []);

  const signOut = useCallback(async () => {
    // Revoke the studio's own login token, so that signing out really ends it on the server.
    const id = me?.tokenId;
    if (id) await api.DELETE("/api/v1/me/tokens/{tokenId}", { params: { path: { tokenId: id } } }).catch(() => undefined);
    setToken(null);
    clearAccessCache();
    setTokenState(null);
  }, [me]);

  return <SessionContext.Provider value={{ me, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <SessionProvider>");
  return session;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const location = useLocation();
  if (!getToken()) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  return <>{children}</>;
}
