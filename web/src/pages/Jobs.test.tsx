import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../test/app";
import { envelope, stubFetch } from "../test/http";

const job = (id: string, status: string, extra = {}) => ({ id, kind: "auto_cluster", status, phase: "Processing", progress: 20, created_at: "2026-12-01T10:00:00Z", ...extra });

beforeEach(() => {
  resetStores();
  signInAs("editor");
});

describe("the jobs page", () => {
  it("lists jobs with their failure reason, filters by status on the server, and follows an open job", async () => {
    const { calls } = stubFetch((c) => {
      if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
      if (c.url === "/api/v1/credits/balance") return envelope({ total: 1, plan_credits: 1, bonus_credits: 0, plan: "free" });
      if (c.url === "/api/v1/jobs/j1") return envelope(job("j1", "running", { phase: "Describing clusters", progress: 55 }));
      if (c.url.startsWith("/api/v1/jobs?status=failed")) return envelope({ results: [job("j2", "failed", { error: "provider down" })], next_cursor: null });
      if (c.url.startsWith("/api/v1/jobs")) return envelope({ results: [job("j1", "running"), job("j2", "failed", { error: "provider down" })], next_cursor: null });
      return envelope({});
    });
    renderAt("/jobs");
    expect(await screen.findByText("provider down")).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "failed" } });
    await waitFor(() => expect(screen.queryByRole("button", { name: "Show progress" })).not.toBeInTheDocument());
    expect(calls.some((c) => c.url === "/api/v1/jobs?status=failed&limit=25")).toBe(true);
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "" } });
    fireEvent.click(await screen.findByRole("button", { name: "Show progress" }));
    expect(await screen.findByRole("dialog", { name: "Job: auto_cluster" })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("job-message")).toHaveTextContent("55% · Describing clusters"));
  });
});
