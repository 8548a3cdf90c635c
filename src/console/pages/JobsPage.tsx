import { useEffect } from 'preact/hooks';
import { api } from '../api.js';
import { localTime } from '../format.js';
import { JobForm } from '../jobs/JobForm.js';
import { isUnderway, jobSummary, type JobListing } from '../jobs/jobTypes.js';
import { TargetStatusBadge } from '../jobs/TargetStatusBadge.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';
import { hasRole } from '../roles.js';
import { navigate } from '../router.js';
import type { Group, Node, WhoAmI } from '../types.js';

/** How often the list is fetched again while some job is still under way. */
const REFRESH_MS = 2000;

/** Jobs and updates: the recent jobs with each node's status, and a form to queue a new one. */
export function JobsPage(p: { me: WhoAmI }) {
  const jobs = useLoad(() => api<JobListing[]>('GET', '/v1/jobs'), []);
  const nodes = useLoad(() => api<Node[]>('GET', '/v1/nodes'), []);
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const underway = (jobs.data ?? []).some((j) => j.targets.some((t) => isUnderway(t.status)));
  useEffect(() => {
    if (!underway) return undefined;
    const timer = window.setInterval(() => void jobs.reload(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [underway, jobs.reload]);
  const paths = new Map((groups.data ?? []).map((g) => [g.id, g.path]));

  return (
    <section>
      <h1 tabIndex={-1}>Jobs and updates</h1>
      {hasRole(p.me, 'operator') && nodes.data && groups.data && <JobForm nodes={nodes.data} groups={groups.data} onCreated={(id) => navigate('jobs', id)} />}
      <h2>Recent jobs</h2>
      <PageState error={jobs.error} loading={!jobs.data} />
      {jobs.data && (
        <DataTable
          label="Jobs"
          columns={['Created', 'Kind', 'What', 'Created by', 'Group', 'Nodes']}
          rows={jobs.data}
          empty="No jobs yet."
          row={(j) => (
            <tr key={j.id} data-job={j.id}>
              <td>
                <a href={`#/jobs/${encodeURIComponent(j.id)}`}>{localTime(j.createdAt)}</a>
              </td>
              <td>{j.kind}{j.signed ? ' (signed)' : ''}</td>
              <td>
                <code>{jobSummary(j)}</code>
              </td>
              <td>{j.creator ?? j.createdBy ?? '—'}</td>
              <td>{paths.get(j.group) ?? j.group}</td>
              <td>
                <ul class="job-targets">
                  {j.targets.map((t) => (
                    <li key={t.nodeId} data-node={t.name ?? t.nodeId}>
                      {t.name ?? t.nodeId} <TargetStatusBadge status={t.status} approvalWaitingSince={t.approvalWaitingSince} />
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          )}
        />
      )}
    </section>
  );
}
