import { useState } from 'preact/hooks';
import { api, ApiError, errorText, setCsrfToken } from '../api.js';

type Step = 'password' | 'new-password' | 'totp';

/**
 * Sign-in: email and password, then the authenticator code (or a recovery code). A
 * temporary password (from an administrator) is replaced first, in a step of its own.
 */
export function LoginPage(p: { reason?: string; onSignedIn: () => Promise<void> }) {
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (step === 'password' || step === 'new-password') {
        if (step === 'new-password' && newPassword !== repeat) {
          setError('The two new passwords differ.');
          return;
        }
        const body = step === 'new-password' ? { email, password, newPassword } : { email, password };
        const r = await api<{ next: 'totp' | 'done'; csrfToken: string }>('POST', '/v1/auth/console/password', body).catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'PASSWORD_CHANGE_REQUIRED') setStep('new-password');
          throw err;
        });
        setCsrfToken(r.csrfToken);
        setPassword('');
        setNewPassword('');
        setRepeat('');
        if (r.next === 'totp') setStep('totp');
        else await p.onSignedIn();
      } else {
        const body = useRecovery ? { recoveryCode: code.trim(), remember } : { totp: code.trim(), remember };
        const r = await api<{ csrfToken: string }>('POST', '/v1/auth/console/totp', body);
        setCsrfToken(r.csrfToken);
        await p.onSignedIn();
      }
    } catch (err) {
      setError(errorText(err));
      // A failed second step may have ended the pending sign-in; the message says what to do.
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <h1>Sign in to burrow</h1>
        {p.reason && <p class="muted">{p.reason}</p>}
        {step === 'new-password' ? (
          <>
            <p>{email} signs in with a temporary password for the first time: choose a password of your own (at least 12 characters).</p>
            <label>
              New password
              <input type="password" name="new-password" autoComplete="new-password" required value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} autoFocus />
            </label>
            <label>
              New password again
              <input type="password" name="new-password-again" autoComplete="new-password" required value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} />
            </label>
          </>
        ) : step === 'password' ? (
          <>
            <label>
              Email
              <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} autoFocus />
            </label>
            <label>
              Password
              <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
            </label>
          </>
        ) : (
          <>
            <p>Signed in as {email}. {useRecovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'}</p>
            <label>
              {useRecovery ? 'Recovery code' : 'Authenticator code'}
              <input
                name="code"
                autoComplete="one-time-code"
                inputMode={useRecovery ? 'text' : 'numeric'}
                pattern={useRecovery ? undefined : '[0-9]{6}'}
                required
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                autoFocus
              />
            </label>
            <label class="check">
              <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember this browser (if your groups allow it)
            </label>
            <button type="button" class="link" onClick={() => setUseRecovery(!useRecovery)}>
              {useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
            </button>
          </>
        )}
        {error && (
          <p id="login-error" class="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : step === 'password' ? 'Continue' : step === 'new-password' ? 'Change password and sign in' : 'Sign in'}
        </button>
        {step !== 'password' && (
          <button type="button" class="link" onClick={() => { setStep('password'); setError(undefined); }}>
            Start over
          </button>
        )}
      </form>
    </main>
  );
}
