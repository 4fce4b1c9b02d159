// The typed confirmation: the action enables only on the exact text, and a failure stays shown.
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { ConfirmDialog } from "./ConfirmDialog";

describe("ConfirmDialog", () => {
  it("enables the action only when the exact name is typed", async () => {
    const onConfirm = vi.fn(async () => undefined);
    const onClose = vi.fn();
    render(<ConfirmDialog open title="Delete 'vision'?" confirmText="vision" onConfirm={onConfirm} onClose={onClose} />);
    const button = screen.getByRole("button", { name: "Delete" }) as HTMLButtonElement;
    const input = screen.getByLabelText("Confirmation");
    expect(button.disabled).toBe(true);
    for (const wrong of ["visio", "Vision", "vision "]) {
      fireEvent.change(input, { target: { value: wrong } });
      expect(button.disabled).toBe(true);
    }
    fireEvent.change(input, { target: { value: "vision" } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("keeps the dialog open with the server's error when the action fails", async () => {
    const onClose = vi.fn();
    const failing = async () => {
      throw new ApiError(409, "Conflict", "The workspace has running jobs.");
    };
    render(<ConfirmDialog open title="Delete?" confirmText="ws" onConfirm={failing} onClose={onClose} />);
    fireEvent.change(screen.getByLabelText("Confirmation"), { target: { value: "ws" } });
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Conflict");
    expect(alert.textContent).toContain("The workspace has running jobs.");
    expect(onClose).not.toHaveBeenCalled();
  });

  it("renders nothing when closed", () => {
    const { container } = render(<ConfirmDialog open={false} title="x" confirmText="x" onConfirm={() => undefined} onClose={() => undefined} />);
    expect(container.innerHTML).toBe("");
  });
});
