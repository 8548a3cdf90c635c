import { useEffect, useMemo, useState } from 'preact/hooks';
import { stringify } from 'csv-stringify/browser/esm/sync';
import type { NodeImportReport } from '../../shared/fleetImport.js';
import { api, errorText } from '../api.js';
import { localTime } from '../format.js';
import { notify } from '../notices.js';
import { DataTable } from '../parts/DataTable.js';

type Step = { at: 'choose' } | { at: 'checked'; csv: string; fileName: string; report: NodeImportReport } | { at: 'created'; report: NodeImportReport };

/** The tokens of created nodes as a CSV file for the installers, offered as a download. */
function useTokensFile(report: NodeImportReport | undefined): string | undefined {
  const url = useMemo(() => {
    if (!report) return undefined;
    const text = stringify([['name', 'token', 'enroll_command'], ...report.nodes.map((n) => [n.name, n.token ?? '', n.enrollCommand ?? ''])]);
    return URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  }, [report]);
  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);
  return url;
}

/**
 * Bulk registration: upload a CSV file, see every bad line (the server checks the file
 * without writing anything first), create the nodes, download their enrollment tokens.
 */
export function NodeImportPage() {
  const [step, setStep] = useState<Step>({ at: 'choose' });
  const [skipBad, setSkipBad] = useState(false);
  const [ttl, setTtl] = useState('7d');
  const [busy, setBusy] = useState(false);
  const tokensFile = useTokensFile(step.at === 'created' ? step.report : undefined);

  const check = async (file: File) => {
    setBusy(true);
    try {
      const csv = await file.text();
      const report = await api<NodeImportReport>('POST', '/v1/fleet/import', { csv, dryRun: true, ttl });
      setStep({ at: 'checked', csv, fileName: file.name, report });
    } catch (err) {
      notify('error', `Could not check ${file.name}: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const create = async (csv: string) => {
    setBusy(true);
    try {
      const report = await api<NodeImportReport>('POST', '/v1/fleet/import', { csv, skipBad, ttl });
      setStep({ at: 'created', report });
      notify('ok', `Created ${report.nodes.length} nodes.`);
    } catch (err) {
      notify('error', `Nothing was imported: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const errors = step.at === 'choose' ? [] : step.report.errors;
  const nodes = step.at === 'choose' ? [] : step.report.nodes;
  return (
    <section>
      <h1 tabIndex={-1}>Import nodes</h1>
      <p class="muted">
        A CSV file with a header row: <code>name,group,services,mode,labels</code>. Group is a path such as <code>/site-a/line-1</code>; services
        are <code>web=http://127.0.0.1:80;ssh=tcp://127.0.0.1:22</code>; mode is <code>always-on</code> or{' '}
        <code>on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris</code>; labels are <code>site=paris;tier=prod</code>. Each node gets its own
        enrollment token; its agent enrolls with it as that node, approved.
      </p>
      {step.at !== 'created' && (
        <form class="panel" aria-label="Upload a node file" onSubmit={(e) => e.preventDefault()}>
          <label>
            CSV file
            <input type="file" accept=".csv,text/csv" disabled={busy} onChange={(e) => { const f = e.currentTarget.files?.[0]; if (f) void check(f); }} />
          </label>
          <label>
            Tokens valid for
            <select value={ttl} onChange={(e) => setTtl(e.currentTarget.value)}>
              <option value="1d">1 day</option>
              <option value="7d">7 days</option>
              <option value="30d">30 days</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.currentTarget.checked)} /> Skip bad lines and import the rest
          </label>
        </form>
      )}
      {step.at === 'checked' && (
        <>
          <h2>{step.fileName}</h2>
          <p role="status">
            {nodes.length} of {step.report.total} lines can be imported{errors.length > 0 ? `; ${errors.length} are bad` : ''}.
          </p>
          {errors.length > 0 && (
            <DataTable
              label="Bad lines"
              columns={['Line', 'Problem']}
              rows={errors}
              row={(e) => (
                <tr key={e.line} data-line={e.line}>
                  <td>{e.line}</td>
                  <td>{e.message}</td>
                </tr>
              )}
            />
          )}
          <button type="button" class="primary" disabled={busy || nodes.length === 0 || (errors.length > 0 && !skipBad)} onClick={() => void create(step.csv)}>
            Create {nodes.length} nodes
          </button>
          {errors.length > 0 && !skipBad && <p class="muted">Fix the bad lines and choose the file again, or tick "Skip bad lines".</p>}
        </>
      )}
      {step.at === 'created' && (
        <>
          <p role="status">
            Created {nodes.length} nodes{nodes[0]?.expiresAt ? `; their tokens expire ${localTime(nodes[0].expiresAt)}` : ''}. The tokens are shown only now.
          </p>
          {tokensFile && (
            <a class="button primary" href={tokensFile} download="burrow-tokens.csv">
              Download tokens CSV
            </a>
          )}
          <DataTable
            label="Created nodes"
            columns={['Line', 'Name', 'Group', 'Services', 'Enroll command']}
            rows={nodes}
            row={(n) => (
              <tr key={n.name} data-node={n.name}>
                <td>{n.line}</td>
                <td>{n.id ? <a href={`#/nodes/${encodeURIComponent(n.id)}`}>{n.name}</a> : n.name}</td>
                <td>{n.group}</td>
                <td>{n.services.join(', ') || '—'}</td>
                <td>
                  <code>{n.enrollCommand}</code>
                </td>
              </tr>
            )}
          />
          {errors.length > 0 && <p class="muted">Skipped lines: {errors.map((e) => `${e.line} (${e.message})`).join('; ')}.</p>}
          <button type="button" onClick={() => setStep({ at: 'choose' })}>
            Import another file
          </button>
        </>
      )}
    </section>
  );
}
