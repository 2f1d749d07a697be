import { type HttpsAnswer, postHttps, retryAfterMs, retryableStatus } from '../net/https-post.ts';
import { SinkError } from './sink.ts';

/**
 * A sink's HTTPS POST (src/net/https-post.ts) within the runner's deadline (`signal`): a URL that
 * is not https:// refuses the batch (VIGIL_ERR_SINK_REFUSED); network and TLS failures and the
 * deadline keep it for a retry (VIGIL_ERR_SINK_UNAVAILABLE); any HTTP status resolves.
 */
export async function sinkPost(
  url: string,
  o: { headers: Record<string, string>; body: string | Buffer; ca?: readonly string[]; signal: AbortSignal },
): Promise<HttpsAnswer> {
  if (new URL(url).protocol !== 'https:')
    throw new SinkError('VIGIL_ERR_SINK_REFUSED', 'only https:// targets are used');
  try {
    return await postHttps(url, o);
  } catch (err) {
    const why = o.signal.aborted
      ? String(o.signal.reason?.message ?? 'aborted')
      : ((err as Error).message ?? String(err));
    throw new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', why.slice(0, 300), { cause: err });
  }
}

/**
 * Turns an answer that is not a success into the sink's error: statuses worth retrying, and
 * those that mean the target or its credentials are not ready (401, 403, 404), keep the batch;
 * any other 4xx refuses it for good.
 */
export function answerError(what: string, a: HttpsAnswer, now: number): SinkError {
  const detail = `${what} answered ${a.status}${a.body ? `: ${a.body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  if (retryableStatus(a.status) || a.status === 401 || a.status === 403 || a.status === 404 || a.status < 200)
    return new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', detail, {
      retryAfterMs: retryAfterMs(a.headers['retry-after'], now),
    });
  return new SinkError('VIGIL_ERR_SINK_REFUSED', detail);
}
