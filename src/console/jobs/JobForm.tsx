import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { notify } from '../notices.js';
import type { Group, Node } from '../types.js';
import { readPickedFile } from './fileContent.js';
import { groupChoices, PickOne } from '../parts/PickOne.js';

type Kind = 'command' | 'push' | 'update';
type TargetKind = 'node' | 'group' | 'selector';

const EMPTY = { kind: 'command' as Kind, command: '', path: '', mode: '644', install: '', manifest: '', signature: '', target: 'node' as TargetKind, node: '', group: '', selector: '', selectorGroup: '' };

/** The job body's "what": a command, a file push or a software update (signed when a manifest is given). */
async function whatOf(f: typeof EMPTY, file: File | undefined): Promise<Record<string, unknown>> {
  if (f.kind === 'command') return { command: f.command };
  if (!file) throw new Error('choose a file first');
  const { base64, sha256 } = await readPickedFile(file);
  const signed = f.manifest.trim() ? { signed: { manifest: f.manifest.trim(), signature: f.signature.trim() } } : {};
  if (f.kind === 'push') {
    if (!/^[0-7]{3,4}$/.test(f.mode)) throw new Error('the mode is octal, such as 644 or 755');
    return { push: { path: f.path, mode: parseInt(f.mode, 8), content: base64 }, ...signed };
  }
  return { update: { fileName: file.name, content: base64, sha256, install: f.install }, ...signed };
}

/** Creates a job: what it does, and which nodes it goes to (a node, a group, or a label selector). */
export function JobForm(p: { nodes: Node[]; groups: Group[]; onCreated: (id: string) => void }) {
  const [f, setF] = useState(EMPTY);
  const [file, setFile] = useState<File | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<typeof EMPTY>) => setF({ ...f, ...patch });
  const operated = p.groups.filter((g) => g.role !== 'viewer');
  const nodes = p.nodes.filter((n) => n.status === 'approved');

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const target = f.target === 'node' ? { node: f.node } : f.target === 'group' ? { group: f.group } : { selector: f.selector, ...(f.selectorGroup ? { group: f.selectorGroup } : {}) };
      const job = await api<{ id: string; nodes: string[] }>('POST', '/v1/jobs', { ...target, ...(await whatOf(f, file)) });
      notify('ok', `Job ${job.id} queued for ${job.nodes.length} ${job.nodes.length === 1 ? 'node' : 'nodes'}.`);
      setF(EMPTY);
      setFile(undefined);
      p.onCreated(job.id);
    } catch (err) {
      notify('error', `Could not create the job: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel" onSubmit={submit} aria-label="Create a job">
      <h2>New job</h2>
      <label>
        Kind
        <select value={f.kind} onChange={(e) => set({ kind: e.currentTarget.value as Kind })}>
          <option value="command">Run a command</option>
          <option value="push">Push a file</option>
          <option value="update">Software update</option>
        </select>
      </label>
      {f.kind === 'command' && (
        <label>
          Command
          <input type="text" required value={f.command} placeholder="uptime" onInput={(e) => set({ command: e.currentTarget.value })} />
        </label>
      )}
      {f.kind !== 'command' && (
        <label>
          {f.kind === 'push' ? 'File to push' : 'Update file'}
          <input type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        </label>
      )}
      {f.kind === 'push' && (
        <>
          <label>
            Path on the node
            <input type="text" required value={f.path} placeholder="/etc/appliance/app.conf" onInput={(e) => set({ path: e.currentTarget.value })} />
          </label>
          <label>
            Mode
            <input type="text" required value={f.mode} inputMode="numeric" onInput={(e) => set({ mode: e.currentTarget.value })} />
          </label>
        </>
      )}
      {f.kind === 'update' && (
        <label>
          Install command
          <input type="text" required value={f.install} placeholder='sh "$BURROW_UPDATE_FILE"' onInput={(e) => set({ install: e.currentTarget.value })} />
        </label>
      )}
      {f.kind !== 'command' && (
        <details>
          <summary>Signed (for nodes that require an update key)</summary>
          <label>
            Signed manifest
            <textarea value={f.manifest} rows={3} onInput={(e) => set({ manifest: e.currentTarget.value })} />
          </label>
          <label>
            Signature (base64)
            <input type="text" value={f.signature} onInput={(e) => set({ signature: e.currentTarget.value })} />
          </label>
        </details>
      )}
      <label>
        Target
        <select value={f.target} onChange={(e) => set({ target: e.currentTarget.value as TargetKind })}>
          <option value="node">One node</option>
          <option value="group">A group</option>
          <option value="selector">Nodes with labels</option>
        </select>
      </label>
      {f.target === 'node' && <PickOne label="Node" required value={f.node} choices={nodes.map((n) => ({ id: n.id, text: n.name }))} onPick={(node) => set({ node })} />}
      {f.target === 'group' && <PickOne label="Group" required value={f.group} choices={groupChoices(operated)} onPick={(group) => set({ group })} />}
      {f.target === 'selector' && (
        <>
          <label>
            Label selector
            <input type="text" required value={f.selector} placeholder="site=paris,tier!=test" onInput={(e) => set({ selector: e.currentTarget.value })} />
          </label>
          <PickOne label="Within group" none="Any group I operate" value={f.selectorGroup} choices={groupChoices(operated)} onPick={(selectorGroup) => set({ selectorGroup })} />
        </>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Queuing…' : 'Queue the job'}
      </button>
    </form>
  );
}
