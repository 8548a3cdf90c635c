import { useEffect } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { localTime } from '../format.js';
import { isUnderway, jobSummary, type JobDetail } from '../jobs/jobTypes.js';
import { TargetStatusBadge } from '../jobs/TargetStatusBadge.js';
import { notify } from '../notices.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { useGroupPaths } from '../parts/useGroupPaths.js';
import { useLoad } from '../parts/useLoad.js';
import { hasRole } from '../roles.js';
import type { WhoAmI } from '../types.js';

/** How often a job still under way is fetched again: each node's progress shows within a second or two. */
const REFRESH_MS = 1000;

/** One job: what it does, each node's progress and output as it happens, and cancel. */
export function JobPage(p: { id: string; me: WhoAmI }) {
  const job = useLoad(() => api<JobDetail>('GET', `/v1/jobs/${encodeURIComponent(p.id)}`), [p.id]);
  const groupPath = useGroupPaths();
  const underway = job.data?.targets.some((t) => isUnderway(t.status)) ?? false;
  useEffect(() => {
    if (!underway) return undefined;
    const timer = window.setInterval(() => void job.reload(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [underway, job.reload]);

  if (!job.data) {
    return (
      <section>
        <h1 tabIndex={-1}>Job {p.id}</h1>
        <PageState error={job.error} loading />
      </section>
    );
  }
  const j = job.data;
  // A target waiting for approval on site has not been reached yet either: a cancel withdraws the request.
  const pending = j.targets.filter((t) => t.status === 'pending' || (t.status === 'running' && t.approvalWaitingSince !== null)).length;
  const cancel = async () => {
    try {
      const r = await api<{ cancelled: number }>('POST', `/v1/jobs/${encodeURIComponent(j.id)}/cancel`);
      notify('ok', `Job cancelled: ${r.cancelled} ${r.cancelled === 1 ? 'node' : 'nodes'} will not run it. A command already running runs to its end.`);
      void job.reload();
    } catch (err) {
      notify('error', `Could not cancel the job: ${errorText(err)}`);
    }
  };

  return (
    <section>
      <p>
        <a href="#/jobs">← All jobs</a>
      </p>
      <h1 tabIndex={-1}>Job {j.id}</h1>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{j.kind}{j.signed ? ' (signed)' : ''}</dd>
        <dt>What</dt>
        <dd>
          <code>{jobSummary(j)}</code>
        </dd>
        <dt>Created</dt>
        <dd>{localTime(j.createdAt)} by {j.creator ?? j.createdBy ?? '—'}</dd>
        <dt>Group</dt>
        <dd>{groupPath(j.group)}</dd>
        <dt>Expires</dt>
        <dd>{localTime(j.expiresAt)}</dd>
      </dl>
      <p class="row" aria-live="polite">
        {underway ? `Under way on ${j.targets.filter((t) => isUnderway(t.status)).length} of ${j.targets.length} nodes; this page follows it.` : 'Finished on every node.'}
        {hasRole(p.me, 'operator') && pending > 0 && <ConfirmButton label="Cancel job" confirm={`Cancel the job on the ${pending} ${pending === 1 ? 'node' : 'nodes'} it has not reached yet?`} onConfirm={cancel} />}
      </p>
      <DataTable
        label="Nodes of the job"
        columns={['Node', 'Status', 'Exit code', 'Started', 'Finished', 'Output']}
        rows={j.targets}
        row={(t) => (
          <tr key={t.nodeId} data-node={t.name ?? t.nodeId}>
            <td>
              <a href={`#/nodes/${encodeURIComponent(t.nodeId)}`}>{t.name ?? t.nodeId}</a>
            </td>
            <td>
              <TargetStatusBadge status={t.status} approvalWaitingSince={t.approvalWaitingSince} />
            </td>
            <td>{t.exitCode ?? '—'}</td>
            <td>{localTime(t.startedAt)}</td>
            <td>{localTime(t.finishedAt)}</td>
            <td>
              {t.error && <p class="error-text">{t.error}</p>}
              {t.stdout && <pre class="job-output" data-stream="stdout">{t.stdout}</pre>}
              {t.stderr && <pre class="job-output" data-stream="stderr">{t.stderr}</pre>}
            </td>
          </tr>
        )}
      />
    </section>
  );
}
