import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, setCsrfToken, setSignedOutHandler } from './api.js';
import { setLiveEndedHandler, startLive, stopLive } from './live.js';
import { notify } from './notices.js';
import { Layout } from './Layout.js';
import { LoginPage } from './pages/LoginPage.js';
import { TotpEnrollPage } from './pages/TotpEnrollPage.js';
import type { WhoAmI } from './types.js';

type Auth = { state: 'loading' } | { state: 'signed-out'; reason?: string } | { state: 'enroll'; me: WhoAmI } | { state: 'in'; me: WhoAmI };

/** The console: who is signed in decides between login, TOTP enrollment and the pages. */
export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const me = await api<WhoAmI>('GET', '/v1/auth/whoami');
      setCsrfToken(me.csrfToken);
      setAuth(me.totpEnrollmentRequired ? { state: 'enroll', me } : { state: 'in', me });
    } catch (err) {
      setCsrfToken(undefined);
      setAuth({ state: 'signed-out', ...(err instanceof ApiError && err.status === 401 ? {} : { reason: errorText(err) }) });
    }
  }, []);

  useEffect(() => {
    setSignedOutHandler(() => {
      stopLive();
      setAuth({ state: 'signed-out', reason: 'Your sign-in has ended. Sign in again to continue.' });
    });
    setLiveEndedHandler((end) => {
      if (end.code === 'UNAUTHENTICATED') {
        setCsrfToken(undefined);
        setAuth({ state: 'signed-out', reason: end.message });
        return;
      }
      // A role was taken away: say so, and follow what is still visible with a fresh stream.
      notify('info', end.message);
      startLive();
    });
    void refresh();
  }, [refresh]);

  useEffect(() => {
    if (auth.state === 'in') startLive();
  }, [auth.state]);

  const signOut = async () => {
    try {
      await api('POST', '/v1/auth/logout');
      notify('ok', 'You are signed out.');
    } catch (err) {
      notify('error', errorText(err));
    }
    stopLive();
    setCsrfToken(undefined);
    // The next person to sign in here starts on the nodes page, not on this user's last page.
    window.history.replaceState(null, '', '#/nodes');
    setAuth({ state: 'signed-out' });
  };

  if (auth.state === 'loading') return <p class="boot">Loading the burrow console…</p>;
  if (auth.state === 'signed-out') return <LoginPage reason={auth.reason} onSignedIn={refresh} />;
  if (auth.state === 'enroll') return <TotpEnrollPage me={auth.me} onDone={refresh} onSignOut={signOut} />;
  return <Layout me={auth.me} onSignOut={signOut} onAccountChanged={refresh} />;
}
