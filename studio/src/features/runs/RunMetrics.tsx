// A run's metrics: one uPlot chart per numeric metric (downsampled by the server to about the
// chart's width), the controls they share, then its tables and images (JSON metrics).
import { useMemo, useState } from "react";
import { EmptyState } from "../../components/EmptyState";
import { ErrorBanner } from "../../components/ErrorBanner";
import { FIRST_RUN } from "../experiments/snippets";
import { formatMetric } from "../experiments/columns";
import { ChartControls, MetricChart, type ChartOptions } from "./MetricChart";
import { JsonMetricView } from "./JsonMetrics";
import type { JsonMetric, LatestMetric, Ws } from "./runsApi";
import { chartWidthFor, pointsFor } from "./series";
import { prefetchHistory, useHistories } from "./useHistories";

/** Ask for the charts' histories as soon as the metric list is known, before the charts mount. */
export function prefetchMetricCharts(ws: Ws, runId: string, metrics: LatestMetric[]): void {
  const points = pointsFor(chartWidthFor(window.innerWidth));
  for (const m of metrics.filter((x) => x.count > 1).slice(0, 12)) prefetchHistory(ws, runId, m.name, points);
}

function OneMetric({ ws, runId, metric, options, width }: { ws: Ws; runId: string; metric: LatestMetric; options: ChartOptions; width: number }) {
  const requests = useMemo(() => [{ runId, metric: metric.name }], [runId, metric.name]);
  const got = useHistories(ws, requests, pointsFor(width));
  const lines = useMemo(() => (got.series[0] ? [{ label: metric.name, series: got.series[0] }] : []), [got.series, metric.name]);
  if (got.error) return <ErrorBanner error={got.error} />;
  if (!lines.length) return <div className="runs-chart-placeholder muted">Loading {metric.name}…</div>;
  return <MetricChart title={metric.name} lines={lines} options={options} />;
}

/** A metric logged once is a number, not a line. */
function SingleMetric({ metric }: { metric: LatestMetric }) {
  return (
    <div className="runs-metric-single panel" data-testid="metric-single">
      <div className="muted">{metric.name}</div>
      <div className="runs-metric-value mono">{formatMetric(metric.value)}</div>
    </div>
  );
}

export function RunMetrics({ ws, runId, metrics, jsonMetrics }: { ws: Ws; runId: string; metrics: LatestMetric[]; jsonMetrics: JsonMetric[] }) {
  const [options, setOptions] = useState<ChartOptions>({ axis: "step", log: false, smoothing: 0 });
  // The same width as prefetchMetricCharts used, so that the charts take what it asked for.
  const width = chartWidthFor(window.innerWidth);
  const series = metrics.filter((m) => m.count > 1);
  const singles = metrics.filter((m) => m.count === 1);
  if (!metrics.length && !jsonMetrics.length) {
    return (
      <EmptyState title="No metrics logged" code={FIRST_RUN.replace("run.complete()", 'for step in range(100):\n    run.log("loss", 1 / (step + 1))\nrun.complete()')}>
        Metrics that a run logs with <code>run.log</code> are drawn here, as they arrive.
      </EmptyState>
    );
  }
  return (
    <div className="runs-metrics">
      {series.length > 0 && <ChartControls value={options} onChange={setOptions} />}
      {singles.length > 0 && (
        <div className="runs-metric-singles">
          {singles.map((m) => (
            <SingleMetric key={m.name} metric={m} />
          ))}
        </div>
      )}
      <div className="runs-chart-grid">
        {series.map((m) => <OneMetric key={m.name} ws={ws} runId={runId} metric={m} options={options} width={width} />)}
      </div>
      {jsonMetrics.length > 0 && (
        <section className="runs-json-metrics">
          <h2>Tables and images</h2>
          <JsonMetricView ws={ws} runId={runId} metrics={jsonMetrics} />
        </section>
      )}
    </div>
  );
}
