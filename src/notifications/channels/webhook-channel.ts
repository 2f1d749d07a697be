/**
 * Signed webhooks: a JSON POST with `X-Vigil-Signature` (src/webhooks/signature.ts) keyed with the
 * receiving contact's own secret, and the outbox id as `Idempotency-Key` so a receiver can drop
 * the duplicate of a retried delivery.
 */

import { postHttps, retryableStatus, trustedCas } from '../../net/https-post.ts';
import { SIGNATURE_HEADER, signWebhook } from '../../webhooks/signature.ts';
import { type ChannelSender, type CredentialSource, failure, type SendResult } from './channel.ts';
import { SECRET_NAMES, type WebhookSettings } from './channel-settings.ts';

export function webhookSender(o: {
  settings: () => Promise<WebhookSettings | null>;
  secret: CredentialSource;
  clock: () => number;
  timeoutMs: number;
}): ChannelSender {
  return {
    async send(d): Promise<SendResult> {
      const secret = d.contactId ? await o.secret(SECRET_NAMES.webhook(d.contactId)) : null;
      if (!secret) return { ok: false, response: 'webhook has no signing secret', permanent: true };
      const s = await o.settings();
      const now = o.clock();
      const body = JSON.stringify({
        id: d.id === null ? null : String(d.id),
        type: `alarm.${String(d.message.data.event ?? 'raised')}`,
        sentAt: new Date(now).toISOString(),
        data: d.message.data,
      });
      try {
        const r = await postHttps(d.to, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Vigil-Webhook/1',
            [SIGNATURE_HEADER]: signWebhook(secret, body, now),
            ...(d.id !== null ? { 'idempotency-key': String(d.id) } : {}),
          },
          body,
          ca: trustedCas(s?.caPem),
          timeoutMs: o.timeoutMs,
        });
        const response = `HTTP ${r.status}`;
        if (r.status >= 200 && r.status < 300) return { ok: true, response };
        return { ok: false, response, permanent: !retryableStatus(r.status) };
      } catch (err) {
        return failure(err);
      }
    },
  };
}
