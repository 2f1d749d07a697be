/**
 * SMS and voice calls through a provider's HTTPS API: one generic adapter, with the Twilio REST
 * API as a preset (`TWILIO_API`). The token is opened from its sealed form for each request and
 * travels only in the Authorization header; it is never recorded.
 */

import { postHttps, retryableStatus, trustedCas } from '../../net/https-post.ts';
import { type ChannelSender, type CredentialSource, failure, type SendResult } from './channel.ts';
import { type ProviderApi, SECRET_NAMES, type SmsSettings, TWILIO_API } from './channel-settings.ts';

const TWILIO_BASE = 'https://api.twilio.com';

/** XML text escaping for TwiML (XML 1.0 §2.4). */
function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function apiOf(s: SmsSettings): ProviderApi | null {
  return s.preset === 'twilio' ? TWILIO_API : (s.api ?? null);
}

export function smsSender(o: {
  kind: 'sms' | 'voice';
  settings: () => Promise<SmsSettings | null>;
  secret: CredentialSource;
  timeoutMs: number;
}): ChannelSender {
  return {
    async send(d): Promise<SendResult> {
      const s = await o.settings();
      const api = s ? apiOf(s) : null;
      if (!s || !api) return { ok: false, response: `${o.kind} channel not configured` };
      const token = (await o.secret(SECRET_NAMES.smsToken)) ?? '';
      const base = (s.baseUrl ?? TWILIO_BASE).replace(/\/+$/, '');
      const path = (o.kind === 'sms' ? api.smsPath : api.voicePath).replace(
        '{account}',
        encodeURIComponent(s.accountId ?? ''),
      );
      // A link read aloud helps nobody: the call says where to act instead.
      const text =
        o.kind === 'sms'
          ? d.message.short
          : `${d.message.short.replace(d.message.link, '').trim()} Acknowledge it in the Vigil dashboard.`;
      const fields: Record<string, string> = { [api.fields.to]: d.to, [api.fields.from]: s.from };
      if (o.kind === 'sms') fields[api.fields.text] = text;
      else
        fields[api.fields.voice] = api.voiceTwiml
          ? `<Response><Say>${xmlText(text)}</Say><Pause length="1"/><Say>${xmlText(text)}</Say></Response>`
          : text;
      const body = api.encoding === 'form' ? new URLSearchParams(fields).toString() : JSON.stringify(fields);
      const authorization =
        api.auth === 'basic'
          ? `Basic ${Buffer.from(`${s.accountId ?? ''}:${token}`).toString('base64')}`
          : `Bearer ${token}`;
      try {
        const r = await postHttps(`${base}${path}`, {
          headers: {
            authorization,
            'content-type':
              api.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
            accept: 'application/json',
          },
          body,
          ca: trustedCas(s.caPem),
          timeoutMs: o.timeoutMs,
        });
        let id = '';
        let status = '';
        try {
          const j = JSON.parse(r.body) as Record<string, unknown>;
          id = typeof j[api.idField] === 'string' ? (j[api.idField] as string) : '';
          status = typeof j.status === 'string' ? j.status : typeof j.message === 'string' ? j.message : '';
        } catch {
          status = r.body.slice(0, 200);
        }
        const response = `HTTP ${r.status}${id ? ` ${api.idField}=${id}` : ''}${status ? ` ${status}` : ''}`;
        if (r.status >= 200 && r.status < 300) return { ok: true, response };
        return { ok: false, response, permanent: !retryableStatus(r.status) };
      } catch (err) {
        return failure(err);
      }
    },
  };
}
