import { useState } from 'preact/hooks';
import type { NodeBudgetView } from '../../shared/dataBudget.js';
import { parseByteSize } from '../../shared/byteSize.js';
import { api, errorText } from '../api.js';
import { bytes, localTime } from '../format.js';
import { notify } from '../notices.js';
import { useLoad } from './useLoad.js';

/**
 * A node's data this month (the server's count and the node's own) against its budget;
 * administrators set, clear and override the budget here.
 */
export function NodeBudget(p: { nodeId: string; nodeName: string; canAdmin: boolean }) {
  const path = `/v1/nodes/${encodeURIComponent(p.nodeId)}/budget`;
  const view = useLoad(() => api<NodeBudgetView>('GET', path), [path]);
  const [form, setForm] = useState({ monthly: '', over: 'refuse', rate: '64K' });
  const v = view.data;
  const b = v?.budget ?? null;

  const act = async (what: string, call: () => Promise<NodeBudgetView | undefined>) => {
    try {
      const next = await call();
      if (next) view.set(next);
      else await view.reload();
      notify('ok', `${what} for ${p.nodeName}.`);
    } catch (err) {
      notify('error', `Could not change the data budget: ${errorText(err)}`);
    }
  };
  const setBudget = (e: Event) => {
    e.preventDefault();
    void act('Data budget set', () => api<NodeBudgetView>('PUT', path, { monthlyBytes: parseByteSize(form.monthly), over: form.over, rateBytes: parseByteSize(form.rate) }));
  };

  return (
    <>
      <h2>Data this month</h2>
      {!v ? (
        <p class="muted">{view.error ?? 'Loading…'}</p>
      ) : (
        <dl class="facts" data-part="budget">
          <dt>Used in {v.month}</dt>
          <dd data-fact="dataUsed">
            {b ? `${bytes(v.usedBytes)} of ${bytes(b.monthlyBytes)} (${b.percent} %)` : bytes(v.usedBytes)} · {bytes(v.bytesIn)} from the node, {bytes(v.bytesOut)} to it
          </dd>
          <dt>Node's own count</dt>
          <dd>{v.nodeCount ? bytes(v.nodeCount.bytesIn + v.nodeCount.bytesOut) : '—'}</dd>
          <dt>Budget</dt>
          <dd data-fact="budgetState">
            {!b
              ? 'none'
              : b.overrideUntil
                ? `overridden until ${localTime(b.overrideUntil)}`
                : b.refusing
                  ? `spent: new sessions are refused and the tunnel runs at ${bytes(b.rateBytes)}/s`
                  : b.throttled
                    ? `spent: the tunnel runs at ${bytes(b.rateBytes)}/s`
                    : b.level === 'warning'
                      ? 'past 80 %'
                      : 'within budget'}
          </dd>
          {b && <meter min={0} max={100} low={80} high={99.9} optimum={0} value={Math.min(100, b.percent)} aria-label="Share of the data budget used" />}
          <dt>Starts over</dt>
          <dd>{localTime(v.resetsAt)}</dd>
        </dl>
      )}
      {p.canAdmin && v && (
        <>
          <form class="row" onSubmit={setBudget}>
            <label>
              Monthly budget
              <input name="budget-monthly" value={form.monthly} placeholder={b ? bytes(b.monthlyBytes) : '2G'} onInput={(e) => setForm({ ...form, monthly: e.currentTarget.value })} />
            </label>
            <label>
              Past 100 %
              <select value={form.over} onChange={(e) => setForm({ ...form, over: e.currentTarget.value })}>
                <option value="refuse">refuse new sessions and throttle</option>
                <option value="throttle">throttle only</option>
              </select>
            </label>
            <label>
              Rate once spent (per second)
              <input name="budget-rate" value={form.rate} onInput={(e) => setForm({ ...form, rate: e.currentTarget.value })} />
            </label>
            <button type="submit" disabled={form.monthly.trim() === ''}>
              Set budget
            </button>
          </form>
          {b && (
            <div class="row">
              {b.overrideUntil ? (
                <button type="button" onClick={() => void act('Override ended', () => api<NodeBudgetView>('DELETE', `${path}/override`))}>
                  End override
                </button>
              ) : (
                <button type="button" onClick={() => void act('Budget overridden until the month ends', () => api<NodeBudgetView>('PUT', `${path}/override`, {}))}>
                  Override until the month ends
                </button>
              )}
              <button type="button" onClick={() => void act('Data budget removed', async () => {
                await api('DELETE', path);
                return undefined;
              })}>
                Remove budget
              </button>
            </div>
          )}
        </>
      )}
    </>
  );
}
