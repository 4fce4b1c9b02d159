// The signed-in user's personal access tokens: create (the secret is shown once), revoke.
import { useMemo, useState, type FormEvent } from "react";
import { api, unwrap, type Schemas } from "../../api/client";
import { useSession } from "../../auth/session";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable, localPages, type Column } from "../../components/DataTable";
import { ErrorBanner } from "../../components/ErrorBanner";
import { Page } from "../../components/Page";
import { StatusChip } from "../../components/StatusChip";
import { formatTime } from "../../lib/format";
import { TOKEN_NAME, checkName } from "../../lib/names";
import { useAsync } from "../../lib/useAsync";

type TokenOut = Schemas["TokenOut"];

function state(t: TokenOut): string {
  if (t.revokedAt) return "Revoked";
  if (new Date(t.expiresAt).getTime() < Date.now()) return "Expired";
  return "Active";
}

export function TokensPage() {
  const { me } = useSession();
  const tokens = useAsync(() => unwrap(api.GET("/api/v1/me/tokens")), []);
  const [name, setName] = useState("");
  const [days, setDays] = useState("30");
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revoking, setRevoking] = useState<TokenOut | null>(null);
  const [copied, setCopied] = useState(false);
  const problem = name ? checkName(TOKEN_NAME, name) : null;

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const made = await unwrap(
        api.POST("/api/v1/me/tokens", { body: { name, expiresInDays: days ? Number(days) : null } }),
      );
      setSecret({ name: made.name, token: made.token });
      setCopied(false);
      setName("");
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  }

  const columns: Column<TokenOut>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      render: (t) => (
        <>
          {t.name} {t.id === me?.tokenId && <span className="badge">this session</span>}
        </>
      ),
    },
    { key: "state", header: "State", render: (t) => <StatusChip status={state(t)} /> },
    { key: "createdAt", header: "Created", sortable: true, render: (t) => formatTime(t.createdAt) },
    { key: "expiresAt", header: "Expires", sortable: true, render: (t) => formatTime(t.expiresAt) },
    { key: "lastUsedAt", header: "Last used", sortable: true, render: (t) => formatTime(t.lastUsedAt) },
    {
      key: "actions",
      header: "",
      align: "right",
      render: (t) =>
        t.revokedAt ? null : (
          <button type="button" className="btn btn-small" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
            Revoke
          </button>
        ),
    },
  ];
  const fetchPage = useMemo(() => localPages(tokens.data ?? [], (t) => `${t.name} ${state(t)}`), [tokens.data]);

  return (
    <div className="page-solo">
      <Page title="Access tokens" subtitle="Personal access tokens for the SDK, the CLI and scripts: send one as 'Authorization: Bearer …'.">
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <label className="field">
            <span>Token name</span>
            <input aria-label="Token name" value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop" />
          </label>
          <label className="field field-narrow">
            <span>Expires in (days)</span>
            <input aria-label="Expires in days" type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!name || !!problem}>
            Create token
          </button>
          {problem && <span className="field-error">{problem}</span>}
        </form>
        <ErrorBanner error={error || tokens.error} />
        {secret && (
          <div className="secret-box" role="status" data-testid="new-token">
            <div>
              <strong>Copy the token '{secret.name}' now: it is shown only once.</strong>
            </div>
            <code className="secret">{secret.token}</code>
            <div className="secret-actions">
              <button
                type="button"
                className="btn btn-small"
                onClick={() => void navigator.clipboard?.writeText(secret.token).then(() => setCopied(true), () => undefined)}
              >
                {copied ? "Copied" : "Copy"}
              </button>
              <button type="button" className="btn btn-small" onClick={() => setSecret(null)}>
                Done
              </button>
            </div>
          </div>
        )}
        {tokens.data && (
          <DataTable
            label="Tokens"
            columns={columns}
            rowKey={(t) => t.id}
            fetchPage={fetchPage}
            reloadKey={tokens.data}
            initialSort={{ key: "createdAt", desc: true }}
          />
        )}
        <ConfirmDialog
          open={revoking !== null}
          title={`Revoke the token '${revoking?.name ?? ""}'?`}
          confirmText={revoking?.name ?? ""}
          actionLabel="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            if (!revoking) return;
            await unwrap(api.DELETE("/api/v1/me/tokens/{tokenId}", { params: { path: { tokenId: revoking.id } } }));
            tokens.reload();
          }}
        >
          Scripts that use it stop working at once.{" "}
          {revoking?.id === me?.tokenId && "This is the token of this session: you will be signed out."}
        </ConfirmDialog>
      </Page>
    </div>
  );
}
