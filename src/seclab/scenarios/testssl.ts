/**
 * testssl.sh (Debian package `testssl.sh`, command `testssl`) against both listeners: protocols,
 * cipher categories, forward secrecy, renegotiation and the known TLS vulnerabilities.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool } from '../capture.ts';
import { errorOutcome, FULL_ONLY, refusedIf, type Scenario } from '../scenario.ts';

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

/** Findings that say something about the local tools, not the server. */
const LOCAL_NOTES = new Set(['engine_problem', 'scanProblem']);
const BAD = new Set(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);

function runTestssl(
  target: string,
  json: string,
  signal: AbortSignal,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    'testssl',
    [
      '--quiet',
      '--color',
      '0',
      '--warnings',
      'off',
      '--openssl-timeout',
      '10',
      '--jsonfile',
      json,
      '-p',
      '-s',
      '-f',
      '-R',
      '-U',
      '--ip',
      '127.0.0.1',
      target,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  child.stderr.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  const stop = () => child.kill('SIGTERM');
  signal.addEventListener('abort', stop, { once: true });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      signal.removeEventListener('abort', stop);
      resolve({ code, out });
    });
  });
}

export const testsslScenario: Scenario = {
  id: 'mitm.testssl',
  family: 'mitm',
  title: 'testssl.sh against both listeners',
  attacked:
    'the TLS configuration of MQTT and HTTPS: protocols, cipher categories, forward secrecy, renegotiation, Heartbleed, CCS, ROBOT, CRIME, POODLE, SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4',
  expected: 'no finding of severity LOW or above on either port',
  layers: ['tls'],
  properties: ['confidentiality', 'integrity'],
  modes: FULL_ONLY,
  timeoutMs: 480_000,
  run: async (ctx) => {
    if (!hasTool('testssl')) {
      return {
        verdict: 'skipped',
        observed: 'testssl is not installed',
        evidence: ['apt-get install testssl.sh'],
      };
    }
    try {
      const { lab } = ctx;
      const targets = [
        ['MQTT', `localhost:${lab.target.mqttPort}`],
        ['HTTPS', `https://localhost:${lab.target.httpPort}`],
      ] as const;
      // Both ports at once: on a busy host one testssl run alone takes minutes.
      const runs = await Promise.all(
        targets.map(async ([name, target]) => {
          const json = join(lab.dir, `testssl-${name.toLowerCase()}.json`);
          return { name, json, r: await runTestssl(target, json, ctx.signal) };
        }),
      );
      const evidence: string[] = [];
      let bad = 0;
      for (const { name, json, r } of runs) {
        let findings: Finding[];
        try {
          findings = JSON.parse(readFileSync(json, 'utf8')) as Finding[];
        } catch {
          throw new Error(`testssl wrote no results for ${name} (exit ${r.code}): ${r.out.slice(-300)}`);
        }
        const counts: Record<string, number> = {};
        for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
        const problems = findings.filter((f) => BAD.has(f.severity) && !LOCAL_NOTES.has(f.id));
        bad += problems.length;
        const offered = findings
          .filter((f) => /^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3)$/.test(f.id))
          .map((f) => `${f.id} ${f.finding}`);
        evidence.push(
          `${name}: ${findings.length} findings (${Object.entries(counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}); ${offered.join('; ')}`,
          ...problems.map((p) => `${name} ${p.severity}: ${p.id}: ${p.finding}`),
        );
      }
      return refusedIf(
        bad === 0,
        bad === 0 ? 'no weakness found on either port' : `${bad} finding(s) of severity LOW or above`,
        evidence,
      );
    } catch (err) {
      return errorOutcome(err);
    }
  },
};
