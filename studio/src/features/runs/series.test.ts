import { describe, expect, it } from "vitest";
import { chartWidthFor, decodeHistory, forScale, pointsFor, smooth, xValues } from "./series";

function packed(name: string, steps: number[], times: number[], values: number[], total: number): ArrayBuffer {
  const header = new TextEncoder().encode(JSON.stringify({ name, count: steps.length, total }));
  const buf = new ArrayBuffer(4 + header.length + 24 * steps.length);
  const view = new DataView(buf);
  view.setUint32(0, header.length, true);
  new Uint8Array(buf, 4, header.length).set(header);
  let at = 4 + header.length;
  for (const s of steps) (view.setBigInt64(at, BigInt(s), true), (at += 8));
  for (const t of times) (view.setBigInt64(at, BigInt(t), true), (at += 8));
  for (const v of values) (view.setFloat64(at, v, true), (at += 8));
  return buf;
}

describe("decodeHistory", () => {
  it("reads the three little-endian columns after an unaligned header", () => {
    const s = decodeHistory(packed("loss", [0, 5, 9], [1000, 2000, 4000], [1.5, NaN, -2], 30));
    expect(s.name).toBe("loss");
    expect(Array.from(s.steps)).toEqual([0, 5, 9]);
    expect(Array.from(s.times)).toEqual([1000, 2000, 4000]);
    expect(s.values[0]).toBe(1.5);
    expect(Number.isNaN(s.values[1])).toBe(true);
    expect(s.total).toBe(30);
  });

  it("reads an empty history", () => {
    expect(decodeHistory(packed("x", [], [], [], 0)).values.length).toBe(0);
  });
});

describe("smooth", () => {
  it("is the identity at weight 0", () => {
    expect(Array.from(smooth([1, 5, 3], 0))).toEqual([1, 5, 3]);
  });

  it("removes the start-up bias: a constant series stays constant", () => {
    for (const v of smooth([4, 4, 4, 4], 0.9)) expect(v).toBeCloseTo(4, 10);
  });

  it("moves towards new values and keeps NaN out of the average", () => {
    const out = smooth([0, NaN, 10], 0.5);
    expect(out[0]).toBe(0);
    expect(Number.isNaN(out[1])).toBe(true);
    // two points in the average: (0*0.5*0.5 + 10*0.5) / (1 - 0.25)
    expect(out[2]).toBeCloseTo(5 / 0.75, 10);
  });
});

describe("axes and scales", () => {
  const s = decodeHistory(packed("m", [1, 2], [10_000, 12_500], [1, 2], 2));
  it("answers steps, epoch seconds or seconds since the first point", () => {
    expect(Array.from(xValues(s, "step"))).toEqual([1, 2]);
    expect(Array.from(xValues(s, "time"))).toEqual([10, 12.5]);
    expect(Array.from(xValues(s, "relative"))).toEqual([0, 2.5]);
  });

  it("leaves gaps where a log scale cannot draw", () => {
    expect(forScale([1, 0, -1, NaN, Infinity], true)).toEqual([1, null, null, null, null]);
    expect(forScale([1, 0, -1], false)).toEqual([1, 0, -1]);
  });

  it("asks for about a point a pixel, even, within bounds", () => {
    expect(pointsFor(1) % 2).toBe(0);
    expect(pointsFor(0)).toBeGreaterThanOrEqual(2);
    expect(pointsFor(100_000)).toBe(8000);
  });
});

describe("chartWidthFor", () => {
  it("is one column on a laptop screen and splits wide ones", () => {
    expect(chartWidthFor(1280)).toBe(1004);
    expect(chartWidthFor(1920)).toBe(537);
    expect(chartWidthFor(200)).toBe(284);
  });
});
