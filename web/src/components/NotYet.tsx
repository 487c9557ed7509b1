// Pages whose module is not in the web app yet say so; they never show made-up data.
export function NotYet({ title, reason }: { title: string; reason: string }) {
  return (
    <section className="max-w-2xl space-y-2">
      <h1 className="text-xl font-semibold">{title}</h1>
      <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="status">
        {reason}
      </p>
    </section>
  );
}
