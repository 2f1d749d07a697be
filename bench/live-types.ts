/** What the live-clients worker is asked to do (bench/live-clients-worker.ts). */
export interface LiveClientsJob {
  /** wss://127.0.0.1:<port>/api/v1/live */
  url: string;
  /** `Cookie` header of a signed-in dashboard session. */
  cookie: string;
  /** The server's origin (the live feed refuses a foreign one). */
  origin: string;
  ca: string;
  clients: number;
  /** Device ids in the load generator's order (records carry the index). */
  deviceIds: string[];
  maxRecords: number;
  connectTimeoutMs: number;
}

/** What it reports. Times are bench/clock.ts `nowMs` (monotonic, comparable across threads). */
export interface LiveClientsResult {
  /** Flattened: client index, device index, seq, receipt time. */
  records: Float64Array;
  /** Readings received beyond `maxRecords` (not recorded). */
  overflow: number;
  /** Frames received per client (all types). */
  received: number[];
  /** Close code per client, null while it was still open at the end (1013 = dropped as too slow). */
  closeCodes: (number | null)[];
  /** Event-loop utilisation of the clients' thread while connected. */
  elu: number;
}
