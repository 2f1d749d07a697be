/**
 * A writer for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): `# HELP` and `# TYPE` once per
 * family, then one line per series. Label values are escaped (backslash, quote, newline).
 */
export class PrometheusText {
  readonly #lines: string[] = [];
  readonly #declared = new Set<string>();

  static readonly CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`bad metric name ${name}`);
    if (this.#declared.has(name)) return this;
    this.#declared.add(name);
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const entries = Object.entries(labels);
    const l = entries.length
      ? `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`
      : '';
    this.#lines.push(`${name}${l} ${formatValue(value)}`);
    return this;
  }

  /** A family with one series per entry of `values`, its key as the value of label `label`. */
  labelled(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    label: string,
    values: Readonly<Record<string, number>>,
  ): this {
    this.family(name, type, help);
    for (const [key, value] of Object.entries(values)) this.sample(name, value, { [label]: key });
    return this;
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
