import type { AlertChannelView, AlertDeliveryView, AlertRuleView } from '../../shared/alerts.js';
import { api, errorText } from '../api.js';
import { localTime } from '../format.js';
import { notify } from '../notices.js';
import { AlertChannelForm } from '../parts/AlertChannelForm.js';
import { AlertRuleForm } from '../parts/AlertRuleForm.js';
import { ConfirmButton } from '../parts/ConfirmButton.js';
import { DataTable } from '../parts/DataTable.js';
import { PageState } from '../parts/PageState.js';
import { useLoad } from '../parts/useLoad.js';
import type { Group } from '../types.js';

/** A rule's parameters in words. */
const paramsOf = (r: AlertRuleView) => Object.entries(r.spec).filter(([k]) => k !== 'kind').map(([k, v]) => `${k}=${String(v)}`).join(', ');

/** Alerts: channels (with a test send), rules, and the delivery log of the groups the user administers. */
export function AlertsPage() {
  const groups = useLoad(() => api<Group[]>('GET', '/v1/groups'), []);
  const channels = useLoad(() => api<AlertChannelView[]>('GET', '/v1/alert-channels'), []);
  const rules = useLoad(() => api<AlertRuleView[]>('GET', '/v1/alert-rules'), []);
  const deliveries = useLoad(() => api<AlertDeliveryView[]>('GET', '/v1/alert-deliveries?limit=50'), []);
  const adminGroups = (groups.data ?? []).filter((g) => g.role === 'admin');
  const groupPath = (id: string) => groups.data?.find((g) => g.id === id)?.path ?? id;
  const channelName = (id: string) => channels.data?.find((c) => c.id === id)?.name ?? id;

  const test = async (c: AlertChannelView) => {
    try {
      const r = await api<{ status: string; error: string | null }>('POST', `/v1/alert-channels/${encodeURIComponent(c.id)}/test`);
      if (r.status === 'delivered') notify('ok', `Test alert delivered through ${c.name}.`);
      else notify('error', `The test alert through ${c.name} failed: ${r.error ?? r.status}`);
    } catch (err) {
      notify('error', `Could not send a test alert: ${errorText(err)}`);
    }
    void deliveries.reload();
  };
  const remove = async (what: 'rules' | 'channels', id: string, name: string) => {
    try {
      await api('DELETE', `/v1/alert-${what}/${encodeURIComponent(id)}`);
      notify('ok', `Removed ${name}.`);
      void (what === 'rules' ? rules.reload() : channels.reload());
    } catch (err) {
      notify('error', `Could not remove ${name}: ${errorText(err)}`);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Alerts</h1>
      <h2>Channels</h2>
      <PageState error={channels.error} loading={!channels.data} />
      {channels.data && (
        <DataTable
          label="Alert channels"
          columns={['Name', 'Group', 'Kind', 'Target']}
          actions
          rows={channels.data}
          empty="No channels yet."
          row={(c) => (
            <tr key={c.id} data-channel={c.name}>
              <td>{c.name}</td>
              <td>{groupPath(c.group)}</td>
              <td>{c.kind}</td>
              <td>{c.kind === 'webhook' ? String(c.settings.url) : `${String(c.settings.host)}:${String(c.settings.port)} → ${(c.settings.to as string[]).join(', ')}`}</td>
              <td>
                <button type="button" onClick={() => void test(c)}>Send test</button>
                <ConfirmButton label="Remove" confirm={`Remove channel ${c.name}?`} onConfirm={() => remove('channels', c.id, c.name)} />
              </td>
            </tr>
          )}
        />
      )}
      {adminGroups.length > 0 && <AlertChannelForm groups={adminGroups} onAdded={() => void channels.reload()} />}
      <h2>Rules</h2>
      <PageState error={rules.error} loading={!rules.data} />
      {rules.data && (
        <DataTable
          label="Alert rules"
          columns={['Name', 'Group', 'When', 'Parameters', 'Channels', 'Quiet']}
          actions
          rows={rules.data}
          empty="No rules yet."
          row={(r) => (
            <tr key={r.id} data-rule={r.name}>
              <td>{r.name}</td>
              <td>{groupPath(r.group)}</td>
              <td>{r.spec.kind}</td>
              <td>{paramsOf(r)}</td>
              <td>{r.channels.map(channelName).join(', ')}</td>
              <td>{Math.round(r.quietSeconds / 60)} min</td>
              <td>
                <ConfirmButton label="Remove" confirm={`Remove rule ${r.name}?`} onConfirm={() => remove('rules', r.id, r.name)} />
              </td>
            </tr>
          )}
        />
      )}
      {adminGroups.length > 0 && channels.data && <AlertRuleForm groups={adminGroups} channels={channels.data} onAdded={() => void rules.reload()} />}
      <h2>Delivery log</h2>
      <button type="button" onClick={() => void deliveries.reload()}>Refresh</button>
      <PageState error={deliveries.error} loading={!deliveries.data} />
      {deliveries.data && (
        <DataTable
          label="Alert deliveries"
          columns={['Time', 'Channel', 'Event', 'Summary', 'Status', 'Attempts', 'Last error']}
          rows={deliveries.data}
          empty="Nothing delivered yet."
          row={(d) => (
            <tr key={d.id} data-delivery={d.id}>
              <td>{localTime(d.createdAt)}</td>
              <td>{channelName(d.channel)}</td>
              <td>{d.event}</td>
              <td>{d.summary}</td>
              <td>
                <span class={`badge badge-${d.status === 'delivered' ? 'online' : 'offline'}`}>{d.status}</span>
              </td>
              <td>{d.attempts}</td>
              <td>{d.lastError ?? ''}</td>
            </tr>
          )}
        />
      )}
    </section>
  );
}
