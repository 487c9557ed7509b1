// Settings → users and roles: the account's users; an admin adds one (only an
// owner adds owners or admins), changes a role, deactivates, reactivates or
// removes a user. Viewers and editors see the list only.
import { useEffect, useState, type FormEvent } from "react";
import type { Schemas } from "../../api";
import { ErrorBanner, Field } from "../../components/Errors";
import { useSubmit } from "../../lib/useForm";
import { hasRole, useAuthStore, type Role } from "../../stores/authStore";
import { useSettingsStore } from "../../stores/settingsStore";
import { BTN, DANGER, INPUT, PRIMARY, SettingsTabs } from "./common";

const ROLES: Role[] = ["viewer", "editor", "admin", "owner"];

/** The roles `me` may hand out: an owner any, an admin up to editor. */
export function assignableRoles(me: Role | undefined): Role[] {
  return hasRole(me, "owner") ? ROLES : hasRole(me, "admin") ? ["viewer", "editor"] : [];
}

function AddUser() {
  const me = useAuthStore((s) => s.user?.role);
  const addUser = useSettingsStore((s) => s.addUser);
  const [f, setF] = useState({ email: "", name: "", password: "", role: "editor" as Role });
  const [done, setDone] = useState<string | null>(null);
  const { error, fields, busy, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    void run(async () => {
      const u = await addUser({ email: f.email, name: f.name || null, password: f.password, role: f.role });
      setDone(`${u.email} was added as ${u.role}. Give them the password to sign in; they can change it.`);
      setF({ email: "", name: "", password: "", role: f.role });
    });
  };
  return (
    <form onSubmit={submit} aria-label="Add a user" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">Add a user</h2>
      <ErrorBanner error={error} />
      {done ? (
        <p role="status" className="text-sm text-emerald-800">
          {done}
        </p>
      ) : null}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Email" name="new-email" type="email" value={f.email} onChange={(v) => setF({ ...f, email: v })} error={fields.email} required />
        <Field label="Name" name="new-name" value={f.name} onChange={(v) => setF({ ...f, name: v })} error={fields.name} />
        <Field
          label="Initial password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          value={f.password}
          onChange={(v) => setF({ ...f, password: v })}
          error={fields.password}
          hint="8+ characters with a letter, a digit and a symbol (or 12+ characters); the user can change it after signing in."
          required
        />
        <div className="space-y-1">
          <label htmlFor="f-new-role" className="block text-sm font-medium text-slate-700">
            Role
          </label>
          <select id="f-new-role" value={f.role} onChange={(e) => setF({ ...f, role: e.target.value as Role })} className={`${INPUT} block w-full py-2`}>
            {assignableRoles(me).map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          {fields.role ? <p className="text-xs text-red-700">{fields.role}</p> : null}
        </div>
      </div>
      <button type="submit" disabled={busy} className={PRIMARY}>
        Add user
      </button>
    </form>
  );
}

function UserRow({ u }: { u: Schemas["UserView"] }) {
  const me = useAuthStore((s) => s.user);
  const { updateUser, removeUser } = useSettingsStore();
  const [role, setRole] = useState<Role>(u.role);
  const [confirming, setConfirming] = useState(false);
  const { error, busy, run } = useSubmit();
  const admin = hasRole(me?.role, "admin");
  // An admin manages viewers and editors; an owner manages everyone. Nobody edits themself here.
  const manageable = admin && u.id !== me?.id && (hasRole(me?.role, "owner") || !hasRole(u.role, "admin"));
  const label = u.name || u.email;
  return (
    <tr className="border-t border-slate-100 align-top">
      <td className="px-3 py-2">
        <div className="font-medium">{u.name || "—"}</div>
        <div className="text-xs text-slate-600">{u.email}</div>
        {error ? <ErrorBanner error={error} /> : null}
      </td>
      <td className="px-3 py-2">
        {manageable ? (
          <div className="flex items-center gap-1">
            <label className="sr-only" htmlFor={`role-${u.id}`}>
              Role of {label}
            </label>
            <select id={`role-${u.id}`} value={role} onChange={(e) => setRole(e.target.value as Role)} className={INPUT}>
              {(assignableRoles(me?.role).includes(u.role) ? assignableRoles(me?.role) : [u.role, ...assignableRoles(me?.role)]).map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            {role !== u.role ? (
              <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => updateUser(u.id, { role }))}>
                Save role
              </button>
            ) : null}
          </div>
        ) : (
          u.role
        )}
      </td>
      <td className="px-3 py-2">{u.is_active ? "active" : "deactivated"}</td>
      <td className="px-3 py-2 text-xs text-slate-600">{u.last_login_at ? new Date(u.last_login_at).toLocaleString() : "never"}</td>
      <td className="px-3 py-2">
        {manageable ? (
          <div className="flex flex-wrap gap-1">
            <button type="button" disabled={busy} className={BTN} onClick={() => void run(() => updateUser(u.id, { is_active: !u.is_active }))}>
              {u.is_active ? "Deactivate" : "Reactivate"}
            </button>
            {confirming ? (
              <span role="group" aria-label={`Confirm removing ${label}`} className="flex gap-1">
                <button type="button" disabled={busy} className={DANGER} onClick={() => void run(() => removeUser(u.id))}>
                  Remove {label}
                </button>
                <button type="button" className={BTN} onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className={DANGER} onClick={() => setConfirming(true)}>
                Remove…
              </button>
            )}
          </div>
        ) : null}
      </td>
    </tr>
  );
}

export default function Users() {
  const { users, usersNext, usersError, loadUsers } = useSettingsStore();
  const role = useAuthStore((s) => s.user?.role);
  useEffect(() => {
    void loadUsers();
  }, [loadUsers]);
  return (
    <section className="max-w-5xl space-y-4">
      <h1 className="text-xl font-semibold">Settings</h1>
      <SettingsTabs />
      <ErrorBanner error={usersError} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Users" tabIndex={0}>
        <table className="min-w-full text-sm">
          <thead className="bg-slate-50 text-left text-xs uppercase text-slate-600">
            <tr>
              <th className="px-3 py-2">User</th>
              <th className="px-3 py-2">Role</th>
              <th className="px-3 py-2">Status</th>
              <th className="px-3 py-2">Last sign-in</th>
              <th className="px-3 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <UserRow key={`${u.id}-${u.version}`} u={u} />
            ))}
          </tbody>
        </table>
      </div>
      {usersNext ? (
        <button type="button" className={BTN} onClick={() => void loadUsers(true)}>
          Load more
        </button>
      ) : null}
      {hasRole(role, "admin") ? <AddUser /> : <p className="text-sm text-slate-600">Adding and managing users needs the admin role or above.</p>}
    </section>
  );
}
