/** Prometheus text exposition format, written by hand (no client library needed). */
export type Labels = Record<string, string>;

export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  samples: { suffix?: string; labels: Labels; value: number }[];
}

export function renderMetrics(families: MetricFamily[]): string {
  return families
    .map((family) => {
      const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
      for (const { suffix = '', labels, value } of family.samples) lines.push(`${family.name}${suffix}${labelText(labels)} ${value}`);
      return lines.join('\n');
    })
    .join('\n')
    .concat('\n');
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** Backslash, double quote and line feed escaped, as the exposition format wants a label value. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
