// Usage rows (credits by AI function and month) shaped for a stacked bar
// chart: one bar per month, one segment per function, on a scale with round
// ticks. Plain data, drawn as SVG by the Credits page.
import type { Schemas } from "../api";

export interface Segment {
  fn: string;
  credits: number;
  /** Bottom and top of the segment, as fractions of the scale (0–1). */
  from: number;
  to: number;
}
export interface Bar {
  month: string;
  total: number;
  segments: Segment[];
}
export interface UsageChartData {
  functions: string[];
  bars: Bar[];
  /** The top of the scale (a round number ≥ the largest month). */
  scale: number;
  ticks: number[];
}

/** A round scale top: 1, 2 or 5 times a power of ten, at or above `max`. */
export function niceCeil(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max - 1e-9) return m * p;
  return 10 * p;
}

export function usageChart(rows: Schemas["UsageRow"][]): UsageChartData {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const functions = [...new Set(rows.map((r) => r.function))].sort();
  const sum = new Map<string, number>();
  for (const r of rows) sum.set(`${r.month}\u0000${r.function}`, (sum.get(`${r.month}\u0000${r.function}`) ?? 0) + (r.credits ?? 0));
  const totals = months.map((m) => functions.reduce((n, f) => n + (sum.get(`${m}\u0000${f}`) ?? 0), 0));
  const scale = niceCeil(Math.max(0, ...totals));
  const bars = months.map((month, i) => {
    let at = 0;
    const segments: Segment[] = [];
    for (const fn of functions) {
      const credits = sum.get(`${month}\u0000${fn}`) ?? 0;
      if (credits <= 0) continue;
      segments.push({ fn, credits, from: at / scale, to: (at + credits) / scale });
      at += credits;
    }
    return { month, total: totals[i]!, segments };
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * scale);
  return { functions, bars, scale, ticks };
}
