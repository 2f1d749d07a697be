/**
 * Browser notifications of alarms through Web Push: registers the service worker (/sw.js), asks
 * the browser's permission, subscribes with the server's VAPID public key (RFC 8292) and gives the
 * subscription to the server (for the signed-in user only). Off again: unsubscribe on both sides.
 */
import { api } from './api.ts';

export type PushState = 'unsupported' | 'not-configured' | 'denied' | 'off' | 'on';

/** base64url → bytes (the VAPID key as `applicationServerKey`). */
function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(b64url.length / 4) * 4, '=');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function registration(): Promise<ServiceWorkerRegistration> {
  return (
    (await navigator.serviceWorker.getRegistration('/')) ??
    navigator.serviceWorker.register('/sw.js', { scope: '/' })
  );
}

export async function pushState(): Promise<PushState> {
  if (!supported()) return 'unsupported';
  const info = await api<{ vapidPublicKey: string | null }>('/notifications/push');
  if (!info.vapidPublicKey) return 'not-configured';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = await reg?.pushManager.getSubscription();
  return sub ? 'on' : 'off';
}

export async function enablePush(): Promise<PushState> {
  if (!supported()) return 'unsupported';
  const info = await api<{ vapidPublicKey: string | null }>('/notifications/push');
  if (!info.vapidPublicKey) return 'not-configured';
  if ((await Notification.requestPermission()) !== 'granted') return 'denied';
  const reg = await registration();
  await navigator.serviceWorker.ready;
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(info.vapidPublicKey),
    }));
  await api('/notifications/push/subscriptions', { method: 'POST', body: sub.toJSON() });
  return 'on';
}

export async function disablePush(): Promise<PushState> {
  const reg = supported() ? await navigator.serviceWorker.getRegistration('/') : undefined;
  const sub = await reg?.pushManager.getSubscription();
  if (sub) {
    await api('/notifications/push/unsubscribe', { method: 'POST', body: { endpoint: sub.endpoint } });
    await sub.unsubscribe();
  }
  return 'off';
}
