import { useState, type FormEvent } from "react";
import { ErrorBanner, Field } from "../components/Errors";
import { useSubmit } from "../lib/useForm";
import { useAuthStore } from "../stores/authStore";

export default function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const { error, fields, busy, run } = useSubmit();
  const change = useAuthStore((s) => s.changePassword);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    void run(async () => {
      await change(current, next);
      setCurrent("");
      setNext("");
      setDone(true);
    });
  };
  return (
    <section className="max-w-sm space-y-4">
      <h1 className="text-xl font-semibold">Change password</h1>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorBanner error={error} />
        {done ? (
          <p role="status" className="rounded-md bg-green-50 px-3 py-2 text-sm text-green-800">
            Password changed. Other sessions have been signed out.
          </p>
        ) : null}
        <Field
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
          error={fields.current_password}
        />
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
          error={fields.new_password ?? fields.password}
          hint="At least 8 characters with a letter, a digit and a symbol (or 12 characters without one)."
        />
        <button type="submit" disabled={busy} className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-50">
          {busy ? "Saving…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
