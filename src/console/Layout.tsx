import { useEffect, useRef } from 'preact/hooks';
import { useLiveConnected } from './live.js';
import { Notices } from './parts/Notices.js';
import { hasRole } from './roles.js';
import { useRoute } from './router.js';
import { ApiTokensPage } from './pages/ApiTokensPage.js';
import { AuditPage } from './pages/AuditPage.js';
import { EnrollTokensPage } from './pages/EnrollTokensPage.js';
import { GroupsPage } from './pages/GroupsPage.js';
import { JobPage } from './pages/JobPage.js';
import { JobsPage } from './pages/JobsPage.js';
import { RecordingsPage } from './pages/RecordingsPage.js';
import { NodeDetailPage } from './pages/NodeDetailPage.js';
import { NodesPage } from './pages/NodesPage.js';
import { NodeImportPage } from './pages/NodeImportPage.js';
import { ReplayPage } from './pages/ReplayPage.js';
import { SessionsPage } from './pages/SessionsPage.js';
import { TerminalPage } from './pages/TerminalPage.js';
import { AccountPage } from './pages/AccountPage.js';
import { UsersPage } from './pages/UsersPage.js';
import type { WhoAmI } from './types.js';

const NAV = [
  { path: 'nodes', label: 'Nodes', role: 'viewer' },
  { path: 'sessions', label: 'Sessions', role: 'viewer' },
  { path: 'jobs', label: 'Jobs', role: 'viewer' },
  { path: 'groups', label: 'Groups', role: 'viewer' },
  { path: 'recordings', label: 'Recordings', role: 'admin' },
  { path: 'enroll-tokens', label: 'Enrollment tokens', role: 'admin' },
  { path: 'users', label: 'Users', role: 'admin' },
  { path: 'tokens', label: 'API tokens', role: 'viewer' },
  { path: 'audit', label: 'Audit log', role: 'admin' },
] as const;

/** The signed-in console: navigation, live status, the current page, outcomes. */
export function Layout(p: { me: WhoAmI; onSignOut: () => void; onAccountChanged: () => void }) {
  const [page = 'nodes', arg, sub] = useRoute();
  const main = useRef<HTMLElement>(null);
  // Moves focus to the new page's content so keyboard and screen-reader users follow along.
  useEffect(() => {
    main.current?.querySelector('h1')?.focus();
  }, [page, arg, sub]);
  const live = useLiveConnected();
  const nav = NAV.filter((n) => hasRole(p.me, n.role));
  const barred = NAV.some((n) => n.path === page) && !nav.some((n) => n.path === page);
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">burrow</span>
        <nav aria-label="Console">
          <ul>
            {nav.map((n) => (
              <li key={n.path}>
                <a href={`#/${n.path}`} aria-current={page === n.path ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={live ? 'live live-on' : 'live'} title={live ? 'Live updates are on' : 'Reconnecting for live updates'}>
          {live ? 'Live' : 'Reconnecting…'}
        </span>
        <a href="#/account">{p.me.email}</a>
        <button type="button" onClick={p.onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {barred ? (
          <section>
            <h1 tabIndex={-1}>Not available to you</h1>
            <p>
              This page needs a role your account does not have. <a href="#/nodes">Go to the nodes.</a>
            </p>
          </section>
        ) : (
          <>
        {page === 'nodes' && !arg && <NodesPage me={p.me} />}
        {page === 'nodes' && arg && !sub && <NodeDetailPage id={arg} me={p.me} />}
        {page === 'nodes' && arg && sub === 'terminal' && <TerminalPage id={arg} />}
        {page === 'node-import' && (hasRole(p.me, 'admin') ? <NodeImportPage /> : <h1 tabIndex={-1}>Not available to you</h1>)}
        {page === 'sessions' && <SessionsPage me={p.me} />}
        {page === 'jobs' && !arg && <JobsPage me={p.me} />}
        {page === 'jobs' && arg && <JobPage id={arg} me={p.me} />}
        {page === 'groups' && <GroupsPage id={arg} />}
        {page === 'recordings' && <RecordingsPage />}
        {page === 'enroll-tokens' && <EnrollTokensPage />}
        {page === 'users' && <UsersPage me={p.me} />}
        {page === 'tokens' && <ApiTokensPage />}
        {page === 'audit' && !arg && <AuditPage />}
        {page === 'audit' && arg && <ReplayPage id={arg} />}
        {page === 'account' && <AccountPage me={p.me} onChanged={p.onAccountChanged} />}
        {!['nodes', 'node-import', 'sessions', 'jobs', 'groups', 'recordings', 'enroll-tokens', 'users', 'tokens', 'audit', 'account'].includes(page) && <h1 tabIndex={-1}>No such page</h1>}
          </>
        )}
      </main>
      <Notices />
    </div>
  );
}
