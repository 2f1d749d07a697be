/**
 * E-mail over SMTP through nodemailer: STARTTLS required on a submission port (RFC 3207; the
 * session fails rather than continue in clear) or implicit TLS (RFC 8314 §3.3); certificate
 * verified; AUTH only inside TLS. One connection per message: alarms are rare and must not wait
 * behind a stale pooled connection.
 */
import nodemailer from 'nodemailer';
import { trustedCas } from '../../net/https-post.ts';
import { TLS_MIN_VERSION } from '../../pki/tls-policy.ts';
import { type ChannelSender, type CredentialSource, failure, type SendResult } from './channel.ts';
import { type EmailSettings, SECRET_NAMES } from './channel-settings.ts';

/** SMTP reply codes that will not change on a retry (RFC 5321 §4.2.1: 5yz is permanent). */
const permanentSmtp = (code: number | undefined) => code !== undefined && code >= 500 && code < 600;

export function emailSender(o: {
  settings: () => Promise<EmailSettings | null>;
  secret: CredentialSource;
  timeoutMs: number;
}): ChannelSender {
  return {
    async send(d): Promise<SendResult> {
      const s = await o.settings();
      if (!s) return { ok: false, response: 'e-mail channel not configured', permanent: false };
      const password = s.user ? await o.secret(SECRET_NAMES.emailPassword) : null;
      const transport = nodemailer.createTransport({
        host: s.host,
        port: s.port,
        secure: s.security === 'tls',
        requireTLS: s.security === 'starttls',
        ignoreTLS: false,
        ...(s.user ? { auth: { user: s.user, pass: password ?? '' } } : {}),
        tls: { ca: trustedCas(s.caPem), minVersion: TLS_MIN_VERSION, servername: s.host },
        connectionTimeout: o.timeoutMs,
        greetingTimeout: o.timeoutMs,
        socketTimeout: o.timeoutMs,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      const alarmId = (d.message.data.alarm as { id?: unknown } | undefined)?.id;
      try {
        const info = await transport.sendMail({
          from: s.from,
          to: d.to,
          subject: d.message.subject,
          text: d.message.text,
          headers: typeof alarmId === 'string' ? { 'X-Vigil-Alarm': alarmId } : {},
        });
        const rejected = (info.rejected ?? []).length;
        if (rejected > 0)
          return { ok: false, response: `recipient refused: ${info.response}`, permanent: true };
        return { ok: true, response: `${info.response} (${info.messageId})` };
      } catch (err) {
        return failure(err, permanentSmtp((err as { responseCode?: number }).responseCode));
      } finally {
        transport.close();
      }
    },
  };
}
