/**
 * Browser notifications through Web Push (RFC 8030) with VAPID (RFC 8292) and the aes128gcm
 * payload encryption of RFC 8291, by the `web-push` library. The VAPID key pair is made on first
 * use; its private half is sealed under the master key. A subscription the push service says is
 * gone (404, 410) is removed.
 */
import { Agent } from 'node:https';
import webpush from 'web-push';
import { trustedCas } from '../../net/https-post.ts';
import { TLS_MIN_VERSION } from '../../pki/tls-policy.ts';
import { type ChannelSender, failure, type SendResult } from './channel.ts';
import type { PushSettings } from './channel-settings.ts';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export function pushSender(o: {
  settings: () => Promise<PushSettings | null>;
  vapid: () => Promise<VapidKeys>;
  /** The subscription's keys by endpoint (null when it was removed meanwhile). */
  keys: (endpoint: string) => Promise<{ p256dh: string; auth: string } | null>;
  /** Called for a subscription the push service no longer knows. */
  onGone: (endpoint: string) => Promise<void>;
  timeoutMs: number;
}): ChannelSender {
  return {
    async send(d): Promise<SendResult> {
      const s = await o.settings();
      if (!s) return { ok: false, response: 'push channel not configured' };
      const keys = await o.keys(d.to);
      if (!keys) return { ok: false, response: 'subscription removed', permanent: true };
      const vapid = await o.vapid();
      const payload = JSON.stringify({
        title: d.message.subject,
        body: d.message.short,
        url: d.message.link,
        tag: String((d.message.data.alarm as { id?: string } | undefined)?.id ?? 'vigil'),
      });
      const agent = new Agent({ ca: trustedCas(s.caPem), minVersion: TLS_MIN_VERSION, keepAlive: false });
      try {
        const r = await webpush.sendNotification(
          { endpoint: d.to, keys: { p256dh: keys.p256dh, auth: keys.auth } },
          payload,
          {
            vapidDetails: { subject: s.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
            TTL: 3600,
            urgency: 'high',
            contentEncoding: 'aes128gcm',
            timeout: o.timeoutMs,
            agent,
          },
        );
        return { ok: true, response: `HTTP ${r.statusCode}` };
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404 || status === 410) {
          await o.onGone(d.to);
          return { ok: false, response: `HTTP ${status} subscription gone (removed)`, permanent: true };
        }
        if (status !== undefined)
          return {
            ok: false,
            response: `HTTP ${status}`,
            permanent: status >= 400 && status < 500 && status !== 429,
          };
        return failure(err);
      } finally {
        agent.destroy();
      }
    },
  };
}
