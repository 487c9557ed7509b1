import { describe, expect, it } from "vitest";
import { batchBody, batchTimes, otherErrors, publishBody, shownTime } from "./schedule";

describe("scheduled publishing: bodies", () => {
  it("sends future with the local date as typed, and no date when publishing now", () => {
    expect(publishBody({ content_id: "c1", status: "future", date: " 2026-12-24T09:00 ", categories: "Guides, ", tags: "" })).toEqual({
      content_id: "c1",
      status: "future",
      date: "2026-12-24T09:00",
      categories: ["Guides"],
      tags: null,
    });
    const now = publishBody({ content_id: "c1", status: "", date: "2026-12-24T09:00", categories: "", tags: "a,b" });
    expect(now).toEqual({ content_id: "c1", status: null, categories: null, tags: ["a", "b"] });
    expect("date" in now).toBe(false);
  });

  it("sends a batch in the order ticked with every_minutes as a number; anything else is named and not sent", () => {
    expect(batchBody({ content_ids: ["b", "a"], start: "2026-12-24T09:00", every_minutes: " 120 ", categories: "", tags: "" })).toEqual({
      body: { content_ids: ["b", "a"], start: "2026-12-24T09:00", every_minutes: 120, categories: null, tags: null },
    });
    for (const bad of ["2h", "", "1.5"])
      expect(batchBody({ content_ids: ["a"], start: "x", every_minutes: bad, categories: "", tags: "" })).toEqual({ errors: { every_minutes: "must be a whole number of minutes" } });
  });

  it("lists the field errors no field shows, without the per-item ones", () => {
    expect(otherErrors({ start: "is in the past", "content_ids[1]": "no body", stages: "odd" }, ["start"])).toEqual([["stages", "odd"]]);
  });
});

describe("scheduled publishing: times", () => {
  it("spreads a batch by elapsed minutes in a zone without daylight saving", () => {
    expect(batchTimes("2026-12-03T09:00", 120, 3, "Asia/Kolkata")).toEqual([
      { local: "2026-12-03 09:00", utc: "2026-12-03T03:30Z" },
      { local: "2026-12-03 11:00", utc: "2026-12-03T05:30Z" },
      { local: "2026-12-03 13:00", utc: "2026-12-03T07:30Z" },
    ]);
  });

  it("keeps whole days at the same local time across a daylight-saving change, as the API does", () => {
    // New York falls back on 1 Nov 2026: 09:00 stays 09:00 and the UTC hour moves (the API's own test).
    expect(batchTimes("2026-10-31T09:00", 1440, 3, "America/New_York")?.map((t) => t.utc)).toEqual(["2026-10-31T13:00Z", "2026-11-01T14:00Z", "2026-11-02T14:00Z"]);
    // Two hours across the same night are elapsed time: 23:00, 01:00 EDT, then 02:00 EST (an hour of wall clock repeats).
    expect(batchTimes("2026-10-31T23:00", 120, 3, "America/New_York")).toEqual([
      { local: "2026-10-31 23:00", utc: "2026-11-01T03:00Z" },
      { local: "2026-11-01 01:00", utc: "2026-11-01T05:00Z" },
      { local: "2026-11-01 02:00", utc: "2026-11-01T07:00Z" },
    ]);
    // A time skipped by the spring change moves forward (02:30 → 03:30 EDT).
    expect(batchTimes("2026-03-08T02:30", 60, 1, "America/New_York")).toEqual([{ local: "2026-03-08 03:30", utc: "2026-03-08T07:30Z" }]);
  });

  it("has no preview for what it cannot read", () => {
    expect(batchTimes("", 60, 2, "UTC")).toBeNull();
    expect(batchTimes("2026-12-03T09:00", Number.NaN, 2, "UTC")).toBeNull();
    expect(batchTimes("2026-12-03T09:00", 60, 2, "Mars/Base")).toBeNull();
  });

  it("shows a scheduled time as the site's wall clock and zone", () => {
    expect(shownTime({ local_time: "2026-12-24T09:00:00+01:00", timezone: "Europe/Berlin", publish_at: "2026-12-24T08:00:00Z" })).toBe("2026-12-24 09:00 Europe/Berlin");
  });
});
