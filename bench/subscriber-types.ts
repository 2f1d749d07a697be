/** What the subscriber worker is asked to do (bench/subscriber-worker.ts). */
export interface SubscriberJob {
  url: string;
  clientId: string;
  ca: string;
  cert: string;
  key: string;
  /** Topic filter, subscribed with QoS 1. */
  topic: string;
  maxRecords: number;
}

/** What it reports. Times are bench/clock.ts `nowMs` (monotonic, comparable across threads). */
export interface SubscriberResult {
  /** Receipt time of each message (up to maxRecords). */
  times: Float64Array;
  received: number;
  /** Event-loop utilisation of the subscriber's thread while subscribed. */
  elu: number;
}
