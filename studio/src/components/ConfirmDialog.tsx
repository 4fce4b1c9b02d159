import { useEffect, useRef, useState, type ReactNode } from "react";
import { ErrorBanner } from "./ErrorBanner";

/**
 * A destructive action's confirmation: the user types `confirmText` (usually the asset's name)
 * before the button enables. A failure stays in the dialog with the server's message.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmText,
  actionLabel = "Delete",
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmText: string;
  actionLabel?: string;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (open) {
      setTyped("");
      setError(null);
      setBusy(false);
      setTimeout(() => input.current?.focus(), 0);
    }
  }, [open]);

  if (!open) return null;
  const matches = typed === confirmText;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        {children && <div className="modal-text">{children}</div>}
        <label className="field">
          <span>
            Type <code>{confirmText}</code> to confirm
          </span>
          <input
            ref={input}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && matches && !busy) void confirm();
              if (e.key === "Escape" && !busy) onClose();
            }}
            aria-label="Confirmation"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <ErrorBanner error={error} />
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" disabled={!matches || busy} onClick={() => void confirm()}>
            {busy ? "Working…" : actionLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
