import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { previewOf } from "../../stores/importStore";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, stubFetch } from "../../test/http";

const CSV = 'Keyword,Intent,Volume,Keyword Difficulty\n"paris city break, cheap",Commercial,1900,41\nrome weekend,Informational,abc,30\n';

beforeEach(() => {
  resetStores();
  signInAs("editor");
});

describe("keyword import", () => {
  it("previews the first lines of a CSV (quoted commas kept) and of a UTF-16 file", async () => {
    const p = await previewOf(new File([CSV], "k.csv", { type: "text/csv" }));
    expect(p.encoding).toBe("UTF-8");
    expect(p.rows?.[1]).toEqual(["paris city break, cheap", "Commercial", "1900", "41"]);
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from("Keyword\tAvg. monthly searches\nrome\t10\n").flatMap((c) => [c.charCodeAt(0), 0])]);
    const q = await previewOf(new File([utf16], "gkp.csv"));
    expect(q.encoding).toBe("UTF-16 LE");
    expect(q.rows).toEqual([["Keyword", "Avg. monthly searches"], ["rome", "10"]]);
  });

  it("uploads the dropped file and shows the detected format, the counts and the row errors as the API reports them", async () => {
    const { calls } = stubFetch((c) => {
      if (c.url.startsWith("/api/v1/planner/keywords/bulk-import"))
        return envelope({
          format: "semrush_keyword_magic",
          rows: 2,
          created: 1,
          updated: 0,
          skipped: 0,
          invalid: 1,
          duplicates_in_file: 0,
          errors: [{ row: 3, column: "Volume", message: "not a number: abc" }],
        });
      if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "City Breaks" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Demo Travel Blog" }], next_cursor: null });
      return envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" });
    });
    renderAt("/planner/import");
    const zone = await screen.findByTestId("dropzone");
    fireEvent.drop(zone, { dataTransfer: { files: [new File([CSV], "semrush.csv", { type: "text/csv" })] } });
    const preview = await screen.findByRole("table", { name: "File preview" });
    expect(within(preview).getByText("paris city break, cheap")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Import" }));
    const report = await screen.findByRole("region", { name: "Import report" });
    expect(report).toHaveTextContent("Semrush Keyword Magic Tool");
    expect(within(report).getByText("Invalid").nextSibling).toHaveTextContent("1");
    expect(within(report).getByText("not a number: abc")).toBeInTheDocument();
    const upload = calls.find((c) => c.url.startsWith("/api/v1/planner/keywords/bulk-import"))!;
    expect(upload.url).toBe("/api/v1/planner/keywords/bulk-import?site_id=s1&sector_id=c1");
    expect(upload.body).toBeInstanceOf(FormData);
    expect(((upload.body as FormData).get("file") as File).name).toBe("semrush.csv");
  });

  it("a viewer is told import needs the editor role", async () => {
    signInAs("viewer");
    stubFetch((c) => (c.url.startsWith("/api/v1/sites") ? envelope({ results: [], next_cursor: null }) : envelope({ total: 0, plan_credits: 0, bonus_credits: 0, plan: "free" })));
    renderAt("/planner/import");
    await waitFor(() => expect(screen.getByText(/needs the editor role/)).toBeInTheDocument());
  });
});
