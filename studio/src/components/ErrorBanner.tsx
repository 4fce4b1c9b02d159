import { ApiError } from "../api/client";

/** The server's {"error": {"code", "message"}} (or any thrown error), shown above the content. */
export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-banner" role="alert" data-code={code}>
      <strong>{code}</strong>
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
