import { api, errorText } from './api.js';
import { localTime } from './format.js';
import { notify } from './notices.js';
import { navigate } from './router.js';
import type { Node, Session } from './types.js';

/** URLs of sessions opened from this page: they may carry a one-time token, so only memory holds them. */
export const openedHere = new Map<string, string>();

/**
 * Opens a WebUI session and shows it in a new tab. The tab is opened at once, inside the
 * click, so popup blockers allow it; it is pointed at the session when the server answers.
 */
export async function openSession(node: Node, service: string): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    // A browser tab takes an http session, whatever type the service declared (tcp://…).
    const s = await api<Session>('POST', '/v1/sessions', { node: node.id, service, type: 'http' });
    if (s.state === 'queued') {
      tab?.close();
      const when = node.nextCheckIn ? ` Expected check-in: ${localTime(node.nextCheckIn)}.` : '';
      notify('info', `${node.name} is offline; the session is queued and opens when the node checks in.${when}`);
    } else if (s.url) {
      openedHere.set(s.id, s.url);
      if (tab) {
        // The WebUI must not be able to script the console through window.opener.
        tab.opener = null;
        tab.location.replace(s.url);
        notify('ok', `Opened ${service} on ${node.name} in a new tab.`);
      } else {
        notify('info', `Session opened on ${node.name}; the browser blocked the new tab, so use "Open WebUI" on the Sessions page.`);
      }
    }
    navigate('sessions');
  } catch (err) {
    tab?.close();
    notify('error', `Could not open ${service} on ${node.name}: ${errorText(err)}`);
  }
}
