import { createTransport } from 'nodemailer';
import type { AlertMessage } from '../../shared/alerts.js';
import type { TargetPolicy } from './targetPolicy.js';

/** An email channel's settings, the password already unsealed. */
export interface EmailSettings {
  host: string;
  port: number;
  starttls: boolean;
  user?: string;
  password?: string;
  ca?: string;
  from: string;
  to: string[];
}

/** The mail's text: the summary, then each fact on a line. */
function textOf(m: AlertMessage): string {
  const lines = [m.summary, '', `event: ${m.event}`, `time: ${m.at}`, `group: ${m.group}`];
  if (m.rule) lines.push(`rule: ${m.rule.name} (${m.rule.id})`);
  if (m.node) lines.push(`node: ${m.node.name} (${m.node.id})`);
  for (const [k, v] of Object.entries(m.detail)) lines.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Sends one alert by SMTP to the address the policy checked. With `starttls` the server
 * must upgrade the connection (or nothing is sent, the password included); the certificate
 * is verified against the host name, with `ca` as an extra trust anchor.
 */
export async function sendAlertMail(s: EmailSettings, m: AlertMessage, policy: TargetPolicy, timeoutMs: number): Promise<void> {
  const address = await policy.addressOf(s.host);
  const transport = createTransport({
    host: address,
    port: s.port,
    secure: s.port === 465,
    requireTLS: s.starttls,
    ...(s.user && s.password ? { auth: { user: s.user, pass: s.password } } : {}),
    tls: { servername: s.host, ...(s.ca ? { ca: s.ca } : {}), minVersion: 'TLSv1.2' },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({ from: s.from, to: s.to, subject: `[burrow] ${m.summary}`, text: textOf(m), headers: { 'X-Burrow-Alert': m.id } });
  } finally {
    transport.close();
  }
}
