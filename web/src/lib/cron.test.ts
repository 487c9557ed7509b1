import { describe, expect, it } from "vitest";
import { cronPreview, describeCron, parseCron } from "./cron";

describe("cron preview (computed in the browser)", () => {
  it("words common schedules", () => {
    expect(describeCron("0 9 * * 1-5", "Europe/Berlin")).toBe("At 09:00, on Monday through Friday (Europe/Berlin)");
    expect(describeCron("*/15 * * * *")).toBe("Every 15 minutes, every day (UTC)");
    expect(describeCron("30 8,17 * * *")).toBe("At 08:30 and 17:30, every day (UTC)");
    expect(describeCron("0 0 1 * *")).toBe("At 00:00, on the 1st of the month (UTC)");
    expect(describeCron("0 6 * 1,7 0")).toBe("At 06:00, on Sunday, in January and July (UTC)");
    expect(describeCron("15 * * * *")).toBe("Every hour at 15 minutes past, every day (UTC)");
    expect(describeCron("0 0 13 * 5")).toBe("At 00:00, on the 13th of the month or on Friday (UTC)");
  });

  it("reads names, macros and 7 as Sunday like the API", () => {
    expect(describeCron("0 12 * * MON,WED,FRI")).toBe("At 12:00, on Monday, Wednesday and Friday (UTC)");
    expect(describeCron("@daily")).toBe("At 00:00, every day (UTC)");
    expect(describeCron("@hourly")).toBe("Every hour, on the hour, every day (UTC)");
    expect(parseCron("0 0 * * 7").dow.values).toEqual([0]);
    expect(parseCron("0 0 * * 0-7").dow.star).toBe(true);
    expect(parseCron("5/20 * * * *").minute.values).toEqual([5, 25, 45]);
  });

  it("says what is wrong with an invalid expression, naming the field", () => {
    expect(cronPreview("0 25 * * *")).toEqual({ ok: false, error: "hour: 25 is outside 0–23" });
    expect(cronPreview("0 9 * *")).toEqual({ ok: false, error: "expected 5 fields (minute hour day-of-month month day-of-week), found 4" });
    expect(cronPreview("*/0 * * * *")).toEqual({ ok: false, error: "minute: a step must be at least 1" });
    expect(cronPreview("0 9 * * FRI-MON")).toEqual({ ok: false, error: "day of week: range 5-1 runs backwards" });
    expect(cronPreview("@often")).toMatchObject({ ok: false, error: expect.stringContaining("unknown macro") });
    expect(cronPreview("   ")).toMatchObject({ ok: false });
  });
});
