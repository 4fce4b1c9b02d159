// A line chart on a canvas (uPlot): one metric of one run, or of several runs overlaid.
// The series arrive downsampled by the server to about one point a pixel, so a million-point
// metric draws as fast as a small one. The first draw of a page sets the performance mark
// that the studio benchmark reads.
import { useEffect, useMemo, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./runs.css";
import { forScale, smooth, xValues, type Series, type XAxis } from "./series";

export interface ChartLine {
  label: string;
  series: Series;
}

export interface ChartOptions {
  axis: XAxis;
  log: boolean;
  /** 0 (none) to 0.99. */
  smoothing: number;
}

const COLORS = ["#3b82f6", "#ef4444", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899", "#14b8a6", "#64748b"];

/** Set once per page load, when the first chart has drawn (read by benchmarks/studio.py). */
export const CHART_DRAWN_MARK = "mlyard:chart-drawn";

function markDrawn(): void {
  if (typeof performance !== "undefined" && performance.getEntriesByName(CHART_DRAWN_MARK).length === 0) {
    performance.mark(CHART_DRAWN_MARK);
  }
}

function ascending(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) if (x[i] < x[i - 1]) return false;
  return true;
}

/** [x, y] of one line, in x order (uPlot needs it), with the smoothing applied. */
function table(line: ChartLine, opts: ChartOptions): [number[], (number | null)[]] {
  let x = xValues(line.series, opts.axis);
  let y: ArrayLike<number> = line.series.values;
  if (!ascending(x)) {
    const order = Array.from(x.keys()).sort((a, b) => x[a] - x[b]);
    x = Float64Array.from(order, (i) => x[i]);
    y = Float64Array.from(order, (i) => line.series.values[i]);
  }
  const values = opts.smoothing > 0 ? smooth(y, opts.smoothing) : y;
  return [Array.from(x), forScale(values, opts.log)];
}

export function buildData(lines: ChartLine[], opts: ChartOptions): uPlot.AlignedData {
  const tables = lines.map((l) => table(l, opts));
  if (tables.length === 1) return tables[0] as unknown as uPlot.AlignedData;
  return uPlot.join(tables as unknown as uPlot.AlignedData[]);
}

export function MetricChart({
  title,
  lines,
  options,
  height = 240,
}: {
  title: string;
  lines: ChartLine[];
  options: ChartOptions;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const data = useMemo(() => buildData(lines, options), [lines, options]);
  const labels = lines.map((l) => l.label).join("\n");

  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const width = Math.max(el.clientWidth, 200);
    const time = options.axis === "time";
    const chart = new uPlot(
      {
        width,
        height,
        title,
        scales: {
          x: { time },
          y: options.log ? { distr: 3, log: 10 } : { auto: true },
        },
        axes: [
          { label: options.axis === "step" ? "step" : time ? undefined : "seconds", stroke: "currentColor" },
          { stroke: "currentColor" },
        ],
        series: [
          { label: options.axis === "step" ? "step" : "time" },
          ...labels.split("\n").map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            spanGaps: lines.length > 1, // runs logged at different steps still draw as lines
          })),
        ],
        cursor: { drag: { x: true, y: false } },
        hooks: { draw: [markDrawn] },
      },
      data,
      el,
    );
    const observer = new ResizeObserver(() => {
      const w = Math.max(el.clientWidth, 200);
      if (w !== chart.width) chart.setSize({ width: w, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [data, labels, title, height, options.axis, options.log, lines.length]);

  const downsampled = lines.some((l) => l.series.total > l.series.values.length);
  return (
    <figure className="runs-chart" data-testid="metric-chart" data-metric={title}>
      <div ref={holder} className="runs-chart-canvas" />
      {downsampled && (
        <figcaption className="muted runs-small">
          {lines.map((l) => `${l.label}: ${l.series.total.toLocaleString()} points`).join(" · ")}, drawn from the server's
          min/max per pixel
        </figcaption>
      )}
    </figure>
  );
}

export function ChartControls({ value, onChange }: { value: ChartOptions; onChange: (next: ChartOptions) => void }) {
  return (
    <div className="runs-chart-controls" role="group" aria-label="Chart options">
      <label>
        X axis{" "}
        <select value={value.axis} onChange={(e) => onChange({ ...value, axis: e.target.value as XAxis })} aria-label="X axis">
          <option value="step">Step</option>
          <option value="time">Wall time</option>
          <option value="relative">Relative time</option>
        </select>
      </label>
      <label>
        <input type="checkbox" checked={value.log} onChange={(e) => onChange({ ...value, log: e.target.checked })} /> Log scale
      </label>
      <label>
        Smoothing{" "}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={value.smoothing}
          onChange={(e) => onChange({ ...value, smoothing: Number(e.target.value) })}
          aria-label="Smoothing"
        />{" "}
        <span className="mono">{value.smoothing.toFixed(2)}</span>
      </label>
    </div>
  );
}
