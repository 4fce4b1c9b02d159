import { describe, expect, it } from "vitest";
import { crumbs, folderEntries, formatBytes, previewKind } from "./files";

const files = [
  { name: "outputs/model.pkl", size: 100, modifiedUtc: "" },
  { name: "outputs/images/a-0.png", size: 10, modifiedUtc: "" },
  { name: "notes.txt", size: 5, modifiedUtc: "" },
  { name: "outputs/images/a-1.png", size: 20, modifiedUtc: "" },
  { name: "logs/std.log", size: 1, modifiedUtc: "" },
];

describe("folderEntries", () => {
  it("shows folders first with their sizes and counts, then files", () => {
    expect(folderEntries(files, "").map((e) => [e.kind, e.label, e.size, e.count])).toEqual([
      ["folder", "logs", 1, 1],
      ["folder", "outputs", 130, 3],
      ["file", "notes.txt", 5, 1],
    ]);
  });

  it("goes into a folder", () => {
    expect(folderEntries(files, "outputs").map((e) => e.path)).toEqual(["outputs/images", "outputs/model.pkl"]);
    expect(folderEntries(files, "outputs/images").map((e) => e.label)).toEqual(["a-0.png", "a-1.png"]);
    expect(folderEntries(files, "nowhere")).toEqual([]);
  });
});

describe("helpers", () => {
  it("makes breadcrumbs", () => {
    expect(crumbs("")).toEqual([["", "files"]]);
    expect(crumbs("a/b")).toEqual([["", "files"], ["a", "a"], ["a/b", "b"]]);
  });

  it("knows what it can preview", () => {
    expect(previewKind("a/b.png")).toBe("image");
    expect(previewKind("train.log")).toBe("text");
    expect(previewKind("Makefile")).toBe("text");
    expect(previewKind("model.pkl")).toBe("none");
  });

  it("formats sizes", () => {
    expect(formatBytes(12)).toBe("12 B");
    expect(formatBytes(2048)).toBe("2.0 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
  });
});
