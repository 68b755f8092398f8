// The chart, written by hand: requests/s (linear) and p50 with p99 whiskers (log scale) per
// concurrency for each target.
import { type BenchResults, TARGET_LABELS, type TargetName, type ThroughputRow } from "../results.ts";

const TARGETS: TargetName[] = ["direct", "bare", "gateway", "gatewayUnleased", "gatewayWithAssets"];
const COLORS: Record<TargetName, string> = {
  direct: "#9aa5b1",
  bare: "#4e79a7",
  gateway: "#f28e2b",
  gatewayUnleased: "#e15759",
  gatewayWithAssets: "#edc948",
};
const WIDTH = 1000;
const HEIGHT = 380;
const PANEL = { top: 70, bottom: 320, width: 400 };
const PANEL_LEFT = [70, 540];

const escapeXml = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const text = (x: number, y: number, content: string, attrs = "") =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;
const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
  `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;

/** A round axis maximum: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value || 1));
  return ([1, 2, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

interface Slot {
  x: number;
  width: number;
  row: ThroughputRow;
}

/** Bar positions: one group per concurrency, one bar per target inside it. */
function slots(results: BenchResults, left: number): Slot[] {
  const { concurrencies } = results.settings;
  const group = PANEL.width / concurrencies.length;
  const bar = (group * 0.8) / TARGETS.length;
  return concurrencies.flatMap((concurrency, g) =>
    TARGETS.flatMap((target, t) => {
      const row = results.throughput.find((r) => r.target === target && r.concurrency === concurrency);
      return row ? [{ x: left + g * group + group * 0.1 + t * bar, width: bar * 0.9, row }] : [];
    }),
  );
}

function groupLabels(results: BenchResults, left: number): string[] {
  const group = PANEL.width / results.settings.concurrencies.length;
  return results.settings.concurrencies.map((c, g) => text(left + (g + 0.5) * group, PANEL.bottom + 16, `c=${c}`, 'text-anchor="middle"'));
}

function throughputPanel(results: BenchResults, left: number): string[] {
  const max = niceMax(Math.max(...results.throughput.map((r) => r.rps)));
  const y = (rps: number) => PANEL.bottom - (rps / max) * (PANEL.bottom - PANEL.top);
  const parts = [text(left, PANEL.top - 14, "requests / s (higher is better)", 'font-weight="bold"')];
  for (let i = 0; i <= 5; i++) {
    const value = (max * i) / 5;
    parts.push(line(left, y(value), left + PANEL.width, y(value), 'stroke="#e5e7eb"'));
    parts.push(text(left - 6, y(value) + 4, Math.round(value).toLocaleString("en-US"), 'text-anchor="end"'));
  }
  for (const s of slots(results, left)) {
    parts.push(
      `<rect x="${s.x.toFixed(1)}" y="${y(s.row.rps).toFixed(1)}" width="${s.width.toFixed(1)}" height="${(PANEL.bottom - y(s.row.rps)).toFixed(1)}" fill="${COLORS[s.row.target]}"><title>${escapeXml(`${TARGET_LABELS[s.row.target]}, c=${s.row.concurrency}: ${Math.round(s.row.rps)} req/s`)}</title></rect>`,
    );
  }
  return [...parts, ...groupLabels(results, left)];
}

function latencyPanel(results: BenchResults, left: number): string[] {
  const values = results.throughput.flatMap((r) => [r.p50Ms, r.p99Ms]).filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.ceil(Math.log10(Math.max(...values)));
  const y = (ms: number) => PANEL.bottom - ((Math.log10(ms) - low) / (high - low || 1)) * (PANEL.bottom - PANEL.top);
  const parts = [text(left, PANEL.top - 14, "latency ms, log scale: bar p50, whisker p99 (lower is better)", 'font-weight="bold"')];
  for (let p = low; p <= high; p++) {
    parts.push(line(left, y(10 ** p), left + PANEL.width, y(10 ** p), 'stroke="#e5e7eb"'));
    parts.push(text(left - 6, y(10 ** p) + 4, String(10 ** p >= 1 ? 10 ** p : Number((10 ** p).toPrecision(1))), 'text-anchor="end"'));
  }
  for (const s of slots(results, left)) {
    const mid = s.x + s.width / 2;
    parts.push(
      `<rect x="${s.x.toFixed(1)}" y="${y(s.row.p50Ms).toFixed(1)}" width="${s.width.toFixed(1)}" height="${(PANEL.bottom - y(s.row.p50Ms)).toFixed(1)}" fill="${COLORS[s.row.target]}"><title>${escapeXml(`${TARGET_LABELS[s.row.target]}, c=${s.row.concurrency}: p50 ${s.row.p50Ms.toFixed(2)} ms, p99 ${s.row.p99Ms.toFixed(2)} ms`)}</title></rect>`,
    );
    parts.push(line(mid, y(s.row.p50Ms), mid, y(s.row.p99Ms), 'stroke="#111827"'));
    parts.push(line(s.x + s.width * 0.2, y(s.row.p99Ms), s.x + s.width * 0.8, y(s.row.p99Ms), 'stroke="#111827"'));
  }
  return [...parts, ...groupLabels(results, left)];
}

function legend(): string[] {
  return TARGETS.flatMap((target, i) => [
    `<rect x="${70 + i * 180}" y="${HEIGHT - 30}" width="12" height="12" fill="${COLORS[target]}"/>`,
    text(88 + i * 180, HEIGHT - 20, TARGET_LABELS[target]),
  ]);
}

export function throughputSvg(results: BenchResults): string {
  const { machine: m } = results;
  const title = `Gateway (leased, LEASE_TTL_MS=0, with the [assets] router) vs bare worker vs direct, workerd via miniflare (${m.cpuModel}, ${m.cores} cores)`;
  const body = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 24, title, 'text-anchor="middle" font-size="14" font-weight="bold"'),
    ...throughputPanel(results, PANEL_LEFT[0]!),
    ...latencyPanel(results, PANEL_LEFT[1]!),
    ...legend(),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="11" fill="#111827">\n${body.join("\n")}\n</svg>\n`;
}
