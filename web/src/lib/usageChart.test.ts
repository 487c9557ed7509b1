import { describe, expect, it } from "vitest";
import { niceCeil, usageChart } from "./usageChart";

describe("usage chart data", () => {
  it("stacks each month's functions on a round scale, months and functions in order", () => {
    const c = usageChart([
      { month: "2026-12", function: "generate_content", credits: 4 },
      { month: "2026-11", function: "auto_cluster", credits: 10 },
      { month: "2026-12", function: "auto_cluster", credits: 20 },
      { month: "2026-12", function: "auto_cluster", credits: 6 },
      { month: "2026-11", function: "generate_ideas", credits: 0 },
    ]);
    expect(c.functions).toEqual(["auto_cluster", "generate_content", "generate_ideas"]);
    expect(c.bars.map((b) => [b.month, b.total])).toEqual([
      ["2026-11", 10],
      ["2026-12", 30],
    ]);
    expect(c.scale).toBe(50);
    expect(c.ticks).toEqual([0, 12.5, 25, 37.5, 50]);
    // Segments stack from the bottom; a function with no credits that month has none.
    expect(c.bars[0]!.segments).toEqual([{ fn: "auto_cluster", credits: 10, from: 0, to: 0.2 }]);
    expect(c.bars[1]!.segments).toEqual([
      { fn: "auto_cluster", credits: 26, from: 0, to: 0.52 },
      { fn: "generate_content", credits: 4, from: 0.52, to: 0.6 },
    ]);
  });

  it("rounds the scale up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 0.3, 1, 7, 10, 11, 180, 2001].map(niceCeil)).toEqual([1, 0.5, 1, 10, 10, 20, 200, 5000]);
    expect(usageChart([]).bars).toEqual([]);
  });
});
