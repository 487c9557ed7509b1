// One AI action on a page: a button that first asks the API for the cost (a
// dry run), then, once confirmed, queues the job and follows it in the
// ProgressModal. The page says what to send (`submit`) and what to do when the
// job is over (`onFinished`).
import { useState } from "react";
import type { ApiError, Schemas } from "../api";
import { isEstimate, type Submission } from "../lib/jobs";
import { useCreditsStore } from "../stores/creditsStore";
import { useJobsStore } from "../stores/jobsStore";
import { ErrorBanner } from "./Errors";
import { ProgressModal } from "./ProgressModal";

interface Props {
  /** The button's text ("Generate ideas"); the dialog's title too. */
  label: string;
  /** What the confirmation says before the cost ("Generate ideas for Trail running"). */
  what: string;
  submit(dryRun: boolean): Promise<Submission>;
  onFinished?(job: Schemas["Job"]): void;
  disabled?: boolean;
  className?: string;
}

export function AiAction({ label, what, submit, onFinished, disabled, className }: Props) {
  const [estimate, setEstimate] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [mine, setMine] = useState<string | null>(null);
  const job = useJobsStore((s) => s.job);
  const follow = useJobsStore((s) => s.follow);
  const loadCredits = useCreditsStore((s) => s.load);

  const call = async (dry: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const data = await submit(dry);
      if (isEstimate(data)) {
        setEstimate(data.estimated_credits);
      } else {
        setEstimate(null);
        setMine(data.id);
        follow(data);
        void loadCredits();
      }
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className={`flex flex-wrap items-center gap-2 ${className ?? ""}`}>
      {estimate === null ? (
        <button
          type="button"
          disabled={busy || disabled}
          onClick={() => void call(true)}
          className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm text-white hover:bg-indigo-700 disabled:opacity-50"
        >
          {label}…
        </button>
      ) : (
        <div role="group" aria-label={`Confirm ${label}`} className="flex items-center gap-2 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-1.5 text-sm">
          <span>
            {what} for <strong>{estimate}</strong> credits?
          </span>
          <button type="button" disabled={busy} onClick={() => void call(false)} className="rounded-md bg-indigo-600 px-2 py-1 text-white disabled:opacity-50">
            Run
          </button>
          <button type="button" onClick={() => setEstimate(null)} className="rounded-md border border-slate-300 bg-white px-2 py-1">
            Cancel
          </button>
        </div>
      )}
      <ErrorBanner error={error} />
      {job && mine && job.id === mine ? (
        <ProgressModal
          title={label}
          onFinished={(j) => {
            void loadCredits();
            onFinished?.(j);
          }}
          onClose={() => setMine(null)}
        />
      ) : null}
    </div>
  );
}
