// The jobs ProgressModal: follows one job with GET /api/v1/jobs/{id}/ until it
// finishes, showing the five stages, the job's percentage and phase, the
// failure reason, and a Cancel button while it can still be cancelled.
import { useEffect, useRef } from "react";
import { FINISHED, STAGES, stageOf, useJobsStore, type Job } from "../stores/jobsStore";
import { ErrorBanner } from "./Errors";

interface Props {
  title: string;
  /** Poll interval in ms. */
  interval?: number;
  canCancel?: boolean;
  onFinished?: (job: Job) => void;
  onClose?: () => void;
}

export function ProgressModal({ title, interval = 1000, canCancel = true, onFinished, onClose }: Props) {
  const { job, error, cancelling, poll, cancel, close } = useJobsStore();
  const id = job?.id;
  const finished = job ? FINISHED.has(job.status) : false;

  // Poll until the job finishes (the effect restarts when it does, and stops).
  useEffect(() => {
    if (!id || finished) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      await poll();
      if (!stop) timer = setTimeout(tick, interval);
    };
    timer = setTimeout(tick, 0);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id, finished, interval, poll]);

  // Tell the page once per job when it has finished (completed, failed or cancelled).
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (job && finished && reported.current !== job.id) {
      reported.current = job.id;
      onFinished?.(job);
    }
  }, [job, finished, onFinished]);

  if (!job) return null;
  const stage = stageOf(job);
  const at = STAGES.indexOf(stage);
  const pct = job.status === "completed" ? 100 : Math.max(0, Math.min(100, job.progress ?? 0));

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4">
      <div role="dialog" aria-modal="true" aria-labelledby="progress-title" className="w-full max-w-md space-y-4 rounded-lg bg-white p-6 shadow-xl">
        <h2 id="progress-title" className="text-lg font-semibold">
          {title}
        </h2>
        <ol className="flex justify-between text-xs" aria-label="Stages">
          {STAGES.map((s, i) => (
            <li
              key={s}
              aria-current={i === at && !finished ? "step" : undefined}
              className={
                job.status === "failed" || job.status === "cancelled"
                  ? i <= at
                    ? "font-medium text-slate-500"
                    : "text-slate-300"
                  : i < at || job.status === "completed"
                    ? "font-medium text-green-700"
                    : i === at
                      ? "font-semibold text-indigo-700"
                      : "text-slate-400"
              }
            >
              {s}
            </li>
          ))}
        </ol>
        <div
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-label="Progress"
          className="h-2 w-full overflow-hidden rounded bg-slate-200"
        >
          <div
            className={`h-full transition-all ${job.status === "failed" ? "bg-red-500" : job.status === "cancelled" ? "bg-slate-400" : "bg-indigo-600"}`}
            style={{ width: `${pct}%` }}
          />
        </div>
        <p className="text-sm text-slate-700" data-testid="job-message">
          {pct}% · {job.status === "cancelled" ? "Cancelled" : job.phase}
        </p>
        {job.status === "failed" ? (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
            Failed: {job.error ?? "the job failed without a reason"}
          </div>
        ) : null}
        {job.status === "completed" && job.credits_charged != null ? (
          <p className="text-sm text-slate-600">Charged {job.credits_charged} credits.</p>
        ) : null}
        <ErrorBanner error={error} />
        <div className="flex justify-end gap-2">
          {!finished && canCancel ? (
            <button
              type="button"
              onClick={() => void cancel()}
              disabled={cancelling}
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
            >
              {cancelling ? "Cancelling…" : "Cancel job"}
            </button>
          ) : null}
          <button
            type="button"
            onClick={() => {
              close();
              onClose?.();
            }}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm text-white hover:bg-indigo-700"
          >
            {finished ? "Close" : "Hide"}
          </button>
        </div>
      </div>
    </div>
  );
}
