// What a page shows for an item that is not there for this account: one that
// never existed, was deleted, or belongs to another team (the API answers 404
// for all three and the page cannot and does not tell them apart).
import { Link } from "react-router";

export function NotFoundPage({ what = "page", back }: { what?: string; back?: { to: string; label: string } }) {
  return (
    <section className="max-w-2xl space-y-3">
      <h1 className="text-xl font-semibold">Not found</h1>
      <p role="status" className="rounded-md border border-slate-300 bg-slate-50 px-3 py-2 text-sm text-slate-800">
        There is no {what} at this address in your workspace.
      </p>
      {back ? (
        <Link to={back.to} className="text-sm text-indigo-800 underline">
          {back.label}
        </Link>
      ) : null}
    </section>
  );
}
