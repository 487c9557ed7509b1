import { useState, type FormEvent } from "react";
import { Link, Navigate } from "react-router";
import { ErrorBanner, Field } from "../components/Errors";
import { useSubmit } from "../lib/useForm";
import { useAuthStore } from "../stores/authStore";
import { AuthCard } from "./SignIn";

export default function Register() {
  const [form, setForm] = useState({ name: "", account_name: "", email: "", password: "" });
  const { error, fields, busy, run } = useSubmit();
  const register = useAuthStore((s) => s.register);
  const signedIn = useAuthStore((s) => s.access !== null);
  if (signedIn) return <Navigate to="/planner/keywords" replace />;
  const set = (k: keyof typeof form) => (v: string) => setForm({ ...form, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      register({
        email: form.email,
        password: form.password,
        name: form.name || null,
        account_name: form.account_name || null,
      }),
    );
  };
  return (
    <AuthCard title="Create your account">
      <form onSubmit={submit} className="space-y-3" noValidate>
        <ErrorBanner error={error} />
        <Field label="Your name" name="name" autoComplete="name" value={form.name} onChange={set("name")} error={fields.name} />
        <Field label="Team or company" name="account_name" autoComplete="organization" value={form.account_name} onChange={set("account_name")} error={fields.account_name} />
        <Field label="Email" name="email" type="email" autoComplete="email" value={form.email} onChange={set("email")} error={fields.email} required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={set("password")}
          error={fields.password}
          hint="At least 8 characters with a letter, a digit and a symbol (or 12 characters without one)."
          required
        />
        <button type="submit" disabled={busy} className="w-full rounded-md bg-indigo-600 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-50">
          {busy ? "Creating…" : "Register"}
        </button>
      </form>
      <p className="text-center text-sm text-slate-600">
        Already registered?{" "}
        <Link className="text-indigo-700 underline" to="/signin">
          Sign in
        </Link>
      </p>
    </AuthCard>
  );
}
