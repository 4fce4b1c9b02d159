import { beforeEach, describe, expect, it } from "vitest";
import {
  cellValue,
  defaultColumns,
  diffParams,
  formatMetric,
  keysOf,
  loadColumns,
  orderBy,
  parseColumnId,
  quoteKey,
  saveColumns,
  toggleColumn,
  type FoundRun,
} from "./columns";

describe("columns", () => {
  beforeEach(() => localStorage.clear());

  it("parses column ids and refuses other kinds", () => {
    expect(parseColumnId("metrics.val.acc")).toEqual({ kind: "metrics", name: "val.acc" });
    expect(parseColumnId("attributes.status")).toBeNull();
    expect(parseColumnId("nodot")).toBeNull();
  });

  it("turns a sorted column into the search grammar's orderBy", () => {
    expect(orderBy(null)).toEqual(["attributes.created DESC"]);
    expect(orderBy({ key: "status", desc: false })).toEqual(["attributes.status ASC"]);
    expect(orderBy({ key: "metrics.accuracy", desc: true })).toEqual(["metrics.accuracy DESC"]);
    expect(orderBy({ key: "params.learning rate", desc: false })).toEqual(["params.`learning rate` ASC"]);
    expect(quoteKey("a/b:c-d.e_f")).toBe("a/b:c-d.e_f");
  });

  it("remembers the picked columns per experiment, and ignores junk in storage", () => {
    expect(loadColumns("/s", "Exp")).toBeNull();
    saveColumns("/s", "Exp", ["metrics.loss", "tags.team"]);
    expect(loadColumns("/s", "exp")).toEqual(["metrics.loss", "tags.team"]);
    localStorage.setItem("mlyard.columns:/s/experiments/bad", '["nope", 3, "params.lr"]');
    expect(loadColumns("/s", "bad")).toEqual(["params.lr"]);
    localStorage.setItem("mlyard.columns:/s/experiments/worse", "{not json");
    expect(loadColumns("/s", "worse")).toBeNull();
  });

  it("picks defaults and toggles", () => {
    const cols = defaultColumns({ params: ["a", "b", "c", "d"], tags: ["t"], metrics: ["m1", "m2"] });
    expect(cols).toEqual(["metrics.m1", "metrics.m2", "params.a", "params.b", "params.c"]);
    expect(toggleColumn(cols, "metrics.m1")).not.toContain("metrics.m1");
    expect(toggleColumn(["tags.t"], "params.a")).toEqual(["tags.t", "params.a"]);
  });

  it("gathers the keys of a page of runs", () => {
    const runs = [
      { params: { lr: "1" }, tags: { b: "" }, metrics: [{ name: "loss" }] },
      { params: { seed: "2", lr: "3" }, tags: { a: "x" }, metrics: [{ name: "acc" }, { name: "loss" }] },
    ] as unknown as FoundRun[];
    expect(keysOf(runs)).toEqual({ params: ["lr", "seed"], tags: ["a", "b"], metrics: ["acc", "loss"] });
    expect(keysOf([])).toEqual({ params: [], tags: [], metrics: [] });
  });

  it("reads cells and formats metrics", () => {
    const run = {
      params: { lr: "0.1" },
      tags: { team: "vision" },
      metrics: [{ name: "acc", value: 0.912345, step: 0, timestamp: "", count: 1 }],
    } as unknown as FoundRun;
    expect(cellValue(run, "params.lr")).toBe("0.1");
    expect(cellValue(run, "tags.team")).toBe("vision");
    expect(cellValue(run, "metrics.acc")).toBe(0.912345);
    expect(cellValue(run, "metrics.none")).toBeNull();
    expect(formatMetric(0.912345)).toBe("0.9123");
    expect(formatMetric(1e-7)).toBe("1.000e-7");
    expect(formatMetric("NaN")).toBe("NaN");
    expect(formatMetric(null)).toBe("—");
  });

  it("diffs the params of compared runs", () => {
    const rows = diffParams([{ params: { lr: "0.1", seed: "1" } }, { params: { lr: "0.2", seed: "1", extra: "x" } }]);
    expect(rows).toEqual([
      { key: "extra", values: [null, "x"], differs: true },
      { key: "lr", values: ["0.1", "0.2"], differs: true },
      { key: "seed", values: ["1", "1"], differs: false },
    ]);
  });
});
