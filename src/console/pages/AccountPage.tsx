import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { WhoAmI } from '../types.js';

/** The password and code every change of one's own account asks for again. */
function ProofFields(p: { password: string; code: string; onPassword: (v: string) => void; onCode: (v: string) => void }) {
  return (
    <>
      <label>
        Current password
        <input type="password" autoComplete="current-password" required value={p.password} onInput={(e) => p.onPassword(e.currentTarget.value)} />
      </label>
      <label>
        Authenticator code
        <input inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" value={p.code} onInput={(e) => p.onCode(e.currentTarget.value)} />
      </label>
    </>
  );
}

/** Runs a form's request, reporting a failure next to the form rather than as a notice. */
function useSubmit(): { busy: boolean; error: string | undefined; run: (e: Event, fn: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (e: Event, fn: () => Promise<void>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [code, setCode] = useState('');
  const [fresh, setFresh] = useState('');
  const [repeat, setRepeat] = useState('');
  const s = useSubmit();
  const change = (e: Event) =>
    s.run(e, async () => {
      if (fresh !== repeat) throw new Error('The two new passwords differ.');
      await api('POST', '/v1/auth/password', { currentPassword: current, newPassword: fresh, ...(code.trim() ? { totp: code.trim() } : {}) });
      [setCurrent, setCode, setFresh, setRepeat].forEach((set) => set(''));
      notify('ok', 'Password changed. Your other sign-ins have ended; this one stays.');
    });
  return (
    <form class="panel" onSubmit={change} aria-label="Change your password">
      <h2>Change your password</h2>
      <ProofFields password={current} code={code} onPassword={setCurrent} onCode={setCode} />
      <label>
        New password
        <input type="password" autoComplete="new-password" required value={fresh} onInput={(e) => setFresh(e.currentTarget.value)} />
      </label>
      <label>
        New password again
        <input type="password" autoComplete="new-password" required value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={s.busy}>
        {s.busy ? 'Checking…' : 'Change password'}
      </button>
      {s.error && (
        <p class="error-text" role="alert">
          {s.error}
        </p>
      )}
    </form>
  );
}

function EmailForm(p: { email: string; onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [code, setCode] = useState('');
  const [email, setEmail] = useState('');
  const s = useSubmit();
  const change = (e: Event) =>
    s.run(e, async () => {
      const r = await api<{ email: string }>('POST', '/v1/auth/email', { currentPassword: current, email: email.trim(), ...(code.trim() ? { totp: code.trim() } : {}) });
      [setCurrent, setCode, setEmail].forEach((set) => set(''));
      notify('ok', `Your email is now ${r.email}; sign in with it from now on.`);
      p.onChanged();
    });
  return (
    <form class="panel" onSubmit={change} aria-label="Change your email">
      <h2>Change your email</h2>
      <label>
        New email
        <input type="email" autoComplete="email" required value={email} placeholder={p.email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <ProofFields password={current} code={code} onPassword={setCurrent} onCode={setCode} />
      <button type="submit" class="primary" disabled={s.busy}>
        {s.busy ? 'Checking…' : 'Change email'}
      </button>
      {s.error && (
        <p class="error-text" role="alert">
          {s.error}
        </p>
      )}
    </form>
  );
}

/** The signed-in user's own account: roles, password and email. */
export function AccountPage(p: { me: WhoAmI; onChanged: () => void }) {
  return (
    <section>
      <h1 tabIndex={-1}>Your account</h1>
      <p>
        Signed in as {p.me.email}. Changing your password or email asks for your current password and an authenticator code; an administrator can reset your
        authenticator if you lose it.
      </p>
      <ul>
        {p.me.grants.map((g) => (
          <li key={g.groupId}>
            {g.role} on {g.groupId}
          </li>
        ))}
      </ul>
      <PasswordForm />
      <EmailForm email={p.me.email} onChanged={p.onChanged} />
    </section>
  );
}
