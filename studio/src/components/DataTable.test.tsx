// DataTable asks the server for sorted, filtered pages and walks them by token.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/client";
import { DataTable, localPages, type Column, type PageQuery, type PageResult } from "./DataTable";

interface Row {
  name: string;
  size: number;
}

const COLUMNS: Column<Row>[] = [
  { key: "name", header: "Name", sortable: true },
  { key: "size", header: "Size", sortable: true, render: (r) => `${r.size} MB` },
];
const ROWS: Row[] = Array.from({ length: 5 }, (_, i) => ({ name: `item-${i}`, size: (i * 7) % 5 }));

function names(): string[] {
  const table = screen.getByRole("table");
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((r) => within(r).getAllByRole("cell")[0].textContent ?? "");
}

describe("DataTable", () => {
  it("shows the first page and asks for the next one with the server's token", async () => {
    const fetchPage = vi.fn(async (q: PageQuery): Promise<PageResult<Row>> => {
      const start = q.pageToken ? Number(q.pageToken) : 0;
      return { items: ROWS.slice(start, start + 2), nextPageToken: start + 2 < ROWS.length ? String(start + 2) : null, total: ROWS.length };
    });
    render(<DataTable columns={COLUMNS} rowKey={(r) => r.name} fetchPage={fetchPage} pageSize={2} label="Items" />);
    await waitFor(() => expect(names()).toEqual(["item-0", "item-1"]));
    expect(screen.getByText("1–2 of 5")).toBeTruthy();
    expect(fetchPage).toHaveBeenLastCalledWith({ pageSize: 2, pageToken: null, sort: null, filter: "" });
    expect((screen.getByRole("button", { name: "Previous" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(names()).toEqual(["item-2", "item-3"]));
    expect(fetchPage).toHaveBeenLastCalledWith(expect.objectContaining({ pageToken: "2" }));
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(names()).toEqual(["item-4"]));
    expect((screen.getByRole("button", { name: "Next" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Previous" }));
    await waitFor(() => expect(names()).toEqual(["item-2", "item-3"]));
  });

  it("sends the sort and the filter to the server and starts again from the first page", async () => {
    const fetchPage = vi.fn(localPages(ROWS, (r) => r.name));
    render(<DataTable columns={COLUMNS} rowKey={(r) => r.name} fetchPage={fetchPage} pageSize={10} />);
    await waitFor(() => expect(names()).toHaveLength(5));

    fireEvent.click(screen.getByText("Size"));
    await waitFor(() => expect(fetchPage).toHaveBeenLastCalledWith(expect.objectContaining({ sort: { key: "size", desc: false } })));
    await waitFor(() => expect(names()).toEqual(["item-0", "item-3", "item-1", "item-4", "item-2"]));
    expect(screen.getByText("Size").closest("th")?.getAttribute("aria-sort")).toBe("ascending");
    fireEvent.click(screen.getByText("Size"));
    await waitFor(() => expect(names()).toEqual(["item-2", "item-4", "item-1", "item-3", "item-0"]));

    fireEvent.change(screen.getByRole("searchbox", { name: "Filter" }), { target: { value: " item-4 " } });
    await waitFor(() => expect(fetchPage).toHaveBeenLastCalledWith(expect.objectContaining({ filter: "item-4", pageToken: null })));
    await waitFor(() => expect(names()).toEqual(["item-4"]));

    fireEvent.change(screen.getByRole("searchbox", { name: "Filter" }), { target: { value: "nothing" } });
    await waitFor(() => expect(screen.getByText('Nothing matches "nothing".')).toBeTruthy());
  });

  it("shows the empty state when there is nothing at all, and the server's error when it fails", async () => {
    render(
      <DataTable columns={COLUMNS} rowKey={(r) => r.name} fetchPage={async () => ({ items: [] })} empty={<p>Create the first one</p>} />,
    );
    await waitFor(() => expect(screen.getByText("Create the first one")).toBeTruthy());
  });

  it("shows the server's error code and message", async () => {
    const failing = async (): Promise<PageResult<Row>> => {
      throw new ApiError(400, "InvalidFilter", "Unknown column 'colour'.");
    };
    render(<DataTable columns={COLUMNS} rowKey={(r) => r.name} fetchPage={failing} />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("InvalidFilter");
    expect(alert.textContent).toContain("Unknown column 'colour'.");
  });

  it("selects rows one by one and all on the page", async () => {
    const changes: Set<string>[] = [];
    render(
      <DataTable
        columns={COLUMNS}
        rowKey={(r) => r.name}
        fetchPage={localPages(ROWS.slice(0, 2), (r) => r.name)}
        selected={new Set(["item-1"])}
        onSelectedChange={(s) => changes.push(s)}
      />,
    );
    await waitFor(() => expect(screen.getAllByRole("checkbox")).toHaveLength(3));
    fireEvent.click(screen.getByRole("checkbox", { name: "Select item-0" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "Select all" }));
    expect(changes.map((s) => [...s].sort())).toEqual([["item-0", "item-1"], ["item-0", "item-1"]]);
  });
});
