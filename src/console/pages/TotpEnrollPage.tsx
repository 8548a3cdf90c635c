import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { WhoAmI } from '../types.js';

interface Setup {
  secret: string;
  uri: string;
  qrSvg: string;
}

/** The QR code as an image: a data: URL keeps it within the CSP (no inline markup). */
function qrDataUrl(svg: string): string {
  return `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
}

/** Enrolling an authenticator: scan the QR code, confirm a first code, keep the recovery codes. */
export function TotpEnrollPage(p: { me: WhoAmI; onDone: () => void; onSignOut: () => void }) {
  const [setup, setSetup] = useState<Setup | undefined>(undefined);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<Setup>('POST', '/v1/auth/totp/setup').then(setSetup, (err: unknown) => setError(errorText(err)));
  }, []);

  const confirm = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ recoveryCodes: string[] }>('POST', '/v1/auth/totp/confirm', { code: code.trim() });
      setCodes(r.recoveryCodes);
      notify('ok', 'Your authenticator is enrolled.');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login" id="main">
      <div class="card">
        <h1>Set up your authenticator</h1>
        <p>Your account ({p.me.email}) needs a second factor before you can use the console.</p>
        {codes ? (
          <>
            <h2>Recovery codes</h2>
            <p>Each code signs you in once if you lose your phone. They are shown only now: store them somewhere safe.</p>
            <ul class="codes" data-testid="recovery-codes">
              {codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
            <button type="button" class="primary" onClick={p.onDone} autoFocus>
              I have stored them — continue
            </button>
          </>
        ) : (
          <form onSubmit={confirm}>
            {setup ? (
              <>
                <ol>
                  <li>Scan this QR code with an authenticator app (or type the key below).</li>
                  <li>Enter the 6-digit code it shows.</li>
                </ol>
                <img class="qr" src={qrDataUrl(setup.qrSvg)} alt="QR code for your authenticator app" width={200} height={200} />
                <p>
                  Key: <code data-testid="totp-secret">{setup.secret}</code>
                </p>
                <label>
                  Code from the app
                  <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
                </label>
                <button type="submit" class="primary" disabled={busy}>
                  {busy ? 'Checking…' : 'Confirm'}
                </button>
              </>
            ) : (
              !error && <p class="muted">Preparing a key…</p>
            )}
            {error && (
              <p class="error-text" role="alert">
                {error}
              </p>
            )}
          </form>
        )}
        <button type="button" class="link" onClick={p.onSignOut}>
          Sign out
        </button>
      </div>
    </main>
  );
}
