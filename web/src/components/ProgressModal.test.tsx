import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { ProgressModal } from "./ProgressModal";
import { stageOf, useJobsStore, type Job } from "../stores/jobsStore";
import { resetStores, signInAs } from "../test/app";
import { envelope, stubFetch } from "../test/http";

const base: Job = {
  id: "j1",
  account_id: "a1",
  kind: "auto_cluster",
  status: "queued",
  phase: "Initializing",
  progress: 0,
  created_at: "",
  updated_at: "",
  version: 1,
};

beforeEach(() => {
  resetStores();
  signInAs("editor");
});

describe("stageOf", () => {
  it("maps each job's own phases onto the five stages", () => {
    expect(stageOf({ status: "queued", phase: "Initializing" })).toBe("Initializing");
    expect(stageOf({ status: "running", phase: "Grouping keywords" })).toBe("Processing");
    expect(stageOf({ status: "running", phase: "Processing" })).toBe("Processing");
    expect(stageOf({ status: "running", phase: "Describing clusters" })).toBe("AI Analysis");
    expect(stageOf({ status: "running", phase: "AI Analysis" })).toBe("AI Analysis");
    expect(stageOf({ status: "running", phase: "Saving clusters" })).toBe("Saving");
    expect(stageOf({ status: "completed", phase: "Completed" })).toBe("Completed");
  });
});

describe("ProgressModal", () => {
  it("follows the job from GET /api/v1/jobs/{id}/ through its phases to completion", async () => {
    const answers: Partial<Job>[] = [
      { status: "running", phase: "Grouping keywords", progress: 15 },
      { status: "running", phase: "Describing clusters", progress: 40 },
      { status: "completed", phase: "Completed", progress: 100, credits_charged: 10 },
    ];
    const { calls } = stubFetch(() => envelope({ ...base, ...(answers.shift() ?? answers[0]) }));
    const done = vi.fn();
    useJobsStore.getState().follow(base);
    render(<ProgressModal title="Auto-cluster" interval={5} onFinished={done} />);
    expect(screen.getByRole("dialog", { name: "Auto-cluster" })).toBeInTheDocument();
    await waitFor(() => expect(done).toHaveBeenCalledTimes(1));
    expect(done.mock.calls[0][0]).toMatchObject({ status: "completed", credits_charged: 10 });
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    expect(screen.getByTestId("job-message")).toHaveTextContent("100% · Completed");
    expect(screen.getByText("Charged 10 credits.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
    expect(calls.every((c) => c.url === "/api/v1/jobs/j1" && c.auth === "Bearer access-1")).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it("shows the percentage, the job's phase and the current stage while it runs", async () => {
    stubFetch(() => envelope({ ...base, status: "running", phase: "Describing clusters", progress: 42 }));
    useJobsStore.getState().follow(base);
    render(<ProgressModal title="Auto-cluster" interval={10_000} />);
    await waitFor(() => expect(screen.getByTestId("job-message")).toHaveTextContent("42% · Describing clusters"));
    expect(screen.getByText("AI Analysis")).toHaveAttribute("aria-current", "step");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "42");
  });

  it("shows the failure reason", async () => {
    stubFetch(() => envelope({ ...base, status: "failed", phase: "AI Analysis", progress: 10, error: "The AI provider timed out" }));
    useJobsStore.getState().follow(base);
    render(<ProgressModal title="Auto-cluster" interval={5} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Failed: The AI provider timed out");
    expect(screen.getByRole("button", { name: "Close" })).toBeInTheDocument();
  });

  it("cancels with POST /api/v1/jobs/{id}/cancel/ and stops polling", async () => {
    const { calls } = stubFetch((c) =>
      c.url.endsWith("/cancel")
        ? envelope({ ...base, status: "cancelled", phase: "Cancelled", progress: 15 })
        : envelope({ ...base, status: "running", phase: "Grouping keywords", progress: 15 }),
    );
    useJobsStore.getState().follow(base);
    render(<ProgressModal title="Auto-cluster" interval={10_000} />);
    await waitFor(() => expect(screen.getByTestId("job-message")).toHaveTextContent("15% · Grouping keywords"));
    fireEvent.click(screen.getByRole("button", { name: "Cancel job" }));
    await waitFor(() => expect(screen.getByTestId("job-message")).toHaveTextContent("Cancelled"));
    expect(calls.filter((c) => c.url === "/api/v1/jobs/j1/cancel" && c.method === "POST")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
  });
});
