/**
 * The InfluxDB sink against a real InfluxDB 1.6 (Debian's influxd) with auth-enabled and
 * https-enabled, started here in a temporary directory: readings published over MQTT reach
 * InfluxDB exactly once per (device, seq, idx) with every field, across an InfluxDB restart in
 * the middle of the stream, as a query of InfluxDB shows. Wrong CA, wrong password and a
 * refused batch are told apart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import { influxdbSink } from '../src/sinks/influxdb/influxdb-sink.ts';
import { SinkError } from '../src/sinks/sink.ts';
import type { OutboxReading } from '../src/sinks/sink-outbox.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type InfluxServer, influxAvailable, startInfluxServer } from './helpers/influxdb-server.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

if (!influxAvailable()) {
  test('InfluxDB sink', (t) => t.skip('skipped: influxd not installed (Debian package influxdb)'));
} else {
  describe('InfluxDB sink against a real InfluxDB 1.6 (auth, HTTPS)', () => {
    let influx: InfluxServer;
    let vigil: Instance;
    let client: MqttClient | undefined;

    before(async () => {
      influx = await startInfluxServer();
      vigil = await startInstance({
        sinks: {
          retryMaxMs: 1000,
          timeoutMs: 5000,
          influxdb: {
            url: influx.url,
            database: influx.database,
            username: influx.writer.username,
            password: influx.writer.password,
            ca: influx.caPem,
          },
        },
      });
    });
    after(async () => {
      if (client) await closeClient(client);
      await vigil?.destroy();
      await influx?.destroy();
    });

    const sinkStatus = async () => {
      const [s] = await vigil.server.sinks.status();
      assert.ok(s);
      return s;
    };

    it('delivers every reading exactly once, with every field, across an InfluxDB restart mid-stream', async () => {
      const id = 'truck-influx-1';
      const b = await vigil.addDevice(id);
      client = await connectDevice(vigil.url, b);
      const t0 = Date.now() - 600_000;
      let seq = 0;
      const publishSome = async (n: number) => {
        for (let i = 0; i < n; i++) {
          seq++;
          // Two samples per message, one second apart (distinct times in InfluxDB).
          const body = {
            samples: [
              truckSample(t0 + seq * 2000, 4 + (seq % 7) / 10),
              { ...truckSample(t0 + seq * 2000 + 1000, 5 + (seq % 5) / 10), power: 'battery', door: 'open' },
            ],
          };
          await send(
            client as MqttClient,
            id,
            makeEnvelope(b, 'telemetry', body, { seq, ts: t0 + seq * 2000 }),
          );
        }
      };
      await publishSome(40);
      await waitFor('first deliveries', async () => (await sinkStatus()).delivered > 0, 20_000);
      // InfluxDB goes away while devices keep publishing (PUBACKs keep coming: ingest is not held up).
      const restart = influx.restart();
      await publishSome(80);
      await restart;
      await publishSome(40);
      const total = seq * 2;
      await waitFor(
        'outbox drained',
        async () => {
          const s = await sinkStatus();
          return s.outbox.pending === 0 && s.delivered >= total && s.state === 'ok';
        },
        60_000,
      );
      const stored = await vigil.ctx.store.queryReadings({ deviceId: id, limit: 10_000 });
      assert.equal(stored.length, total);
      const answer = await influx.query(
        `SELECT seq, idx, temp_c, rh_pct, lat, lon, bat_pct, power, door, backfill FROM readings WHERE device = '${id}'`,
      );
      const series = answer.results[0]?.series?.[0];
      assert.ok(series, 'InfluxDB has the series');
      assert.equal(series.values.length, total, 'one point per reading: none lost, none doubled');
      const col = (name: string) => series.columns.indexOf(name);
      const byKey = new Map(series.values.map((v) => [`${v[col('seq')]}/${v[col('idx')]}`, v]));
      assert.equal(byKey.size, total, 'each (seq, idx) once');
      for (const r of stored) {
        const v = byKey.get(`${r.seq}/${r.idx}`);
        assert.ok(v, `reading ${r.seq}/${r.idx} is in InfluxDB`);
        assert.equal(v[col('time')], r.ts, 'time in ms');
        for (const f of ['temp_c', 'rh_pct', 'lat', 'lon', 'bat_pct', 'power']) {
          assert.equal(v[col(f)], r.data[f], `${f} of ${r.seq}/${r.idx}`);
        }
        assert.equal(v[col('door')], r.data.door ?? null);
        assert.equal(v[col('backfill')], r.backfill);
      }
      const s = await sinkStatus();
      assert.ok(s.failures >= 1, 'the restart was seen as failed deliveries, then retried');
      assert.equal(s.refused, 0);
      const tags = await influx.query(`SHOW TAG VALUES FROM readings WITH KEY = "profile"`);
      assert.deepEqual(tags.results[0]?.series?.[0]?.values, [['profile', 'vaccine-transport']]);
      // The system page and /metrics report the sink, without its credentials.
      const { token } = await vigil.server.auth.tokens.create({
        label: 'test',
        role: 'operator',
        owner: 'admin',
        actor: 'test',
      });
      const auth = { authorization: `Bearer ${token}` };
      const sys = await apiRequest(vigil.httpUrl, vigil.ctx.ca.certPem, {
        path: '/api/v1/system',
        headers: auth,
      });
      const shown = (
        sys.json as { sinks: { name: string; state: string; failures: number; target: string }[] }
      ).sinks;
      assert.equal(shown[0]?.name, 'influxdb');
      assert.equal(shown[0]?.state, 'ok');
      assert.ok((shown[0]?.failures ?? 0) >= 1);
      assert.ok(!sys.text.includes(influx.writer.password), 'no password on the system page');
      const metrics = await apiRequest(vigil.httpUrl, vigil.ctx.ca.certPem, {
        path: '/metrics',
        headers: auth,
      });
      assert.match(metrics.text, /vigil_sink_delivered_total\{sink="influxdb",kind="influxdb"\} \d+/);
      assert.match(metrics.text, /vigil_sink_up\{sink="influxdb",kind="influxdb"\} 1/);
    });

    const one = (over: Partial<OutboxReading> = {}): OutboxReading => ({
      id: 1,
      deviceId: 'truck-influx-2',
      profile: 'vaccine-transport',
      seq: 1,
      idx: 0,
      ts: Date.now(),
      receivedAt: Date.now(),
      backfill: false,
      data: { temp_c: 5 },
      ...over,
    });
    const cfg = () => ({
      url: influx.url,
      database: influx.database,
      username: influx.writer.username,
      password: influx.writer.password,
      ca: 'unused',
      measurement: 'readings',
    });
    const deliver = (sink: ReturnType<typeof influxdbSink>, batch: OutboxReading[]) =>
      sink.deliver(batch, AbortSignal.timeout(10_000));
    const failsWith = async (p: Promise<void>, code: SinkError['code'], why: RegExp) => {
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof SinkError, String(err));
        assert.equal(err.code, code);
        assert.match(err.message, why);
        return true;
      });
    };

    it('refuses an InfluxDB whose certificate is not from the configured CA (nothing is sent)', async () => {
      const rogue = await makeTestPki();
      await failsWith(
        deliver(influxdbSink(cfg(), rogue.ca.certPem), [one()]),
        'VIGIL_ERR_SINK_UNAVAILABLE',
        /certificate/i,
      );
    });

    it('keeps the batch when InfluxDB refuses the credentials (a configuration to fix, not data to drop)', async () => {
      const sink = influxdbSink({ ...cfg(), password: randomBytes(12).toString('hex') }, influx.caPem);
      await failsWith(deliver(sink, [one()]), 'VIGIL_ERR_SINK_UNAVAILABLE', /answered 401/);
    });

    it('drops a batch InfluxDB refuses for good (a field written with another type)', async () => {
      const sink = influxdbSink(cfg(), influx.caPem);
      await deliver(sink, [one({ deviceId: 'truck-influx-3', data: { temp_c: 5 } })]);
      await failsWith(
        deliver(sink, [one({ deviceId: 'truck-influx-3', seq: 2, data: { temp_c: 'warm' } })]),
        'VIGIL_ERR_SINK_REFUSED',
        /answered 400/,
      );
    });
  });
}
