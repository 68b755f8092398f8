// Usage charts drawn by uPlot: a full chart with axes and legend, and a bare sparkline for table rows.
import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ReportBucket } from "./types";

export interface SeriesSpec {
  label: string;
  color: string;
  values: number[];
}

/** Outcome colours, shared by the legend of every chart. */
const OUTCOME_COLORS = { allowed: "#1a7f37", rateLimited: "#bc4c00", quotaExceeded: "#cf222e", unauthorized: "#6e7781" } as const;

const total = (values: number[]) => values.reduce((sum, value) => sum + value, 0);

function usePlot(options: (width: number) => uPlot.Options, data: uPlot.AlignedData, deps: unknown[]) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const plot = new uPlot(options(element.clientWidth), data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: plot.height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, deps);
  return container;
}

/** Axis labels and grid in the page's colours (style.css), so the chart reads in dark mode too. */
function themedAxis() {
  const style = getComputedStyle(document.documentElement);
  return { stroke: style.getPropertyValue("--muted").trim(), grid: { stroke: style.getPropertyValue("--line").trim(), width: 1 } };
}

/** Each later series' bars narrower and drawn over the earlier ones, so a small count is never hidden behind a large one. */
function barsFor(index: number, count: number) {
  return uPlot.paths.bars?.({ size: [0.85 * (1 - index / (count + 0.5)), 80], align: 0 });
}

/** Requests over time, one bar per series and bucket; the caption states the totals for readers who cannot see the chart. */
function UsageChart({ title, times, series }: { title: string; times: number[]; series: SeriesSpec[] }) {
  const container = usePlot(
    (width) => ({
      width,
      height: 220,
      scales: { x: { time: true } },
      axes: [themedAxis(), { ...themedAxis(), size: 48 }],
      series: [
        { label: "Time", value: (_plot: uPlot, value: number) => (value ? new Date(value * 1000).toLocaleString() : "") },
        ...series.map((s, index) => ({
          label: s.label,
          stroke: s.color,
          // No outline: an empty bucket draws nothing rather than a line along zero.
          width: 0,
          fill: `${s.color}cc`,
          paths: barsFor(index, series.length),
          points: { show: false },
        })),
      ],
    }),
    [times.map((t) => t / 1000), ...series.map((s) => s.values)],
    [JSON.stringify(times), JSON.stringify(series)],
  );
  const summary = series.map((s) => `${total(s.values)} ${s.label.toLowerCase()}`).join(", ");
  return html`<figure class="chart">
    <figcaption>${title}: ${summary}</figcaption>
    <div ref=${container} class="chart-canvas" role="img" aria-label=${`${title}: ${summary}`}></div>
  </figure>`;
}

/** 24 hourly totals as a tiny line, no axes; the label carries the number. */
export function Sparkline({ times, values, label }: { times: number[]; values: number[]; label: string }) {
  const container = usePlot(
    () => ({
      width: 120,
      height: 28,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      // A little room below zero, so an idle key still shows its flat line.
      scales: {
        x: { time: false },
        y: { range: (_plot: uPlot, _min: number, max: number) => [-0.1 * Math.max(1, max), 1.1 * Math.max(1, max)] },
      },
      series: [{}, { stroke: OUTCOME_COLORS.allowed, width: 1.5, fill: `${OUTCOME_COLORS.allowed}22`, points: { show: false } }],
    }),
    [times, values],
    [JSON.stringify(values)],
  );
  return html`<div ref=${container} class="sparkline" role="img" aria-label=${label}></div>`;
}

/** Requests by outcome per bucket; the 401s too where the buckets carry them (all keys' usage). */
export function OutcomeChart({ buckets }: { buckets: ReportBucket[] }) {
  const withUnauthorized = buckets.some((bucket) => bucket.unauthorized !== undefined);
  return html`<${UsageChart}
    title="Requests"
    times=${buckets.map((bucket) => Date.parse(bucket.start))}
    series=${[
      { label: "Allowed", color: OUTCOME_COLORS.allowed, values: buckets.map((bucket) => bucket.allowed) },
      { label: "Rate limited", color: OUTCOME_COLORS.rateLimited, values: buckets.map((bucket) => bucket.rateLimited) },
      { label: "Quota exceeded", color: OUTCOME_COLORS.quotaExceeded, values: buckets.map((bucket) => bucket.quotaExceeded) },
      ...(withUnauthorized
        ? [{ label: "Unauthorized (401)", color: OUTCOME_COLORS.unauthorized, values: buckets.map((bucket) => bucket.unauthorized ?? 0) }]
        : []),
    ]}
  />`;
}
