// Metric series for charts: the packed history the server answers (?format=binary), smoothing,
// and the x axis (step or wall time) — plain functions, tested with Vitest.
//
// Packed layout (mlyard.api.metrics): a 4-byte little-endian header length, a JSON header
// {"name", "count", "total"}, then `count` int64 steps, `count` int64 ms timestamps and
// `count` float64 values, all little-endian. The columns start right after the header, so they
// are rarely 8-byte aligned: read them through a DataView rather than typed-array views.

export interface Series {
  name: string;
  steps: Float64Array;
  /** Milliseconds since the epoch. */
  times: Float64Array;
  values: Float64Array;
  /** Points on the server; more than `values.length` when the server downsampled. */
  total: number;
}

export function decodeHistory(buffer: ArrayBuffer): Series {
  const view = new DataView(buffer);
  const size = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, size))) as {
    name: string;
    count: number;
    total: number;
  };
  const n = header.count;
  const steps = new Float64Array(n);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  let at = 4 + size;
  for (let i = 0; i < n; i++, at += 8) steps[i] = Number(view.getBigInt64(at, true));
  for (let i = 0; i < n; i++, at += 8) times[i] = Number(view.getBigInt64(at, true));
  for (let i = 0; i < n; i++, at += 8) values[i] = view.getFloat64(at, true);
  return { name: header.name, steps, times, values, total: header.total };
}

/**
 * TensorBoard's smoothing: an exponential moving average with the start-up bias removed, so that
 * the first points are not pulled towards 0. `weight` 0 is no smoothing, 0.99 very smooth.
 * Non-finite values (NaN, ±Infinity) stay as they are and do not enter the average.
 */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

export type XAxis = "step" | "time" | "relative";

/** The x values of a series: steps, wall time in seconds (uPlot's time scale), or seconds since its first point. */
export function xValues(s: Series, axis: XAxis): Float64Array {
  if (axis === "step") return s.steps;
  const out = new Float64Array(s.times.length);
  const origin = axis === "relative" && s.times.length ? s.times[0] : 0;
  for (let i = 0; i < s.times.length; i++) out[i] = (s.times[i] - origin) / 1000;
  return out;
}

/** Values for a log scale: what a log axis cannot show (≤ 0, NaN) becomes a gap (null). */
export function forScale(values: ArrayLike<number>, log: boolean): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = !Number.isFinite(v) || (log && v <= 0) ? null : v;
  }
  return out;
}

/** Points to ask the server for, about one per horizontal pixel of the chart (an even number ≥ 2). */
export function pointsFor(widthPx: number): number {
  const n = Math.max(2, Math.round(widthPx * (globalThis.devicePixelRatio || 1)));
  return Math.min(n + (n % 2), 8000);
}

/**
 * About how wide each chart of a run's metrics grid is, from the window's width alone (the
 * grid's CSS: columns of at least 520 px beside the 196 px navigation), so that the points to
 * ask for are known before anything is drawn and the request can leave with the metric list.
 */
export function chartWidthFor(viewportPx: number): number {
  const grid = Math.max(300, viewportPx - 260);
  const columns = Math.max(1, Math.floor(grid / 520));
  return Math.floor(grid / columns) - 16;
}
