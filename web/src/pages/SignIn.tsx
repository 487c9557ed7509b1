import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation } from "react-router";
import { ErrorBanner, Field } from "../components/Errors";
import { useSubmit } from "../lib/useForm";
import { useAuthStore } from "../stores/authStore";

export function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <div className="text-center text-2xl font-bold text-indigo-700">IGNY8</div>
        <h1 className="text-center text-lg font-semibold">{title}</h1>
        {children}
      </div>
    </main>
  );
}

export default function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { error, fields, busy, run } = useSubmit();
  const signIn = useAuthStore((s) => s.signIn);
  const signedIn = useAuthStore((s) => s.access !== null);
  const notice = useAuthStore((s) => s.notice);
  const from = (useLocation().state as { from?: string } | null)?.from ?? "/planner/keywords";
  if (signedIn) return <Navigate to={from} replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => signIn(email, password));
  };
  return (
    <AuthCard title="Sign in">
      {notice ? (
        <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {notice}
        </p>
      ) : null}
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorBanner error={error} />
        <Field label="Email" name="email" type="email" autoComplete="username" value={email} onChange={setEmail} error={fields.email} required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={fields.password}
          required
        />
        <button type="submit" disabled={busy} className="w-full rounded-md bg-indigo-600 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-50">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="text-center text-sm text-slate-600">
        No account yet?{" "}
        <Link className="text-indigo-700 underline" to="/register">
          Register
        </Link>
      </p>
    </AuthCard>
  );
}
