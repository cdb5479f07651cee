import type {FormatName, RuleMeta} from './rule.js'

const formatTitles: Partial<Record<FormatName, string>> = {
  'registries-conf': 'containers-registries.conf (podman, buildah, skopeo, CRI-O)',
  'daemon-json': 'Docker daemon.json',
}

/** docs/rules.md: one table per format, rules in catalog order. Pure, so a test can diff it. */
export function renderRulesMarkdown(rules: readonly RuleMeta[]): string {
  const formats: FormatName[] = []
  for (const r of rules) if (!formats.includes(r.format)) formats.push(r.format)

  const out = [
    '# Lint rules',
    '',
    '<!-- Generated from src/lint/catalog.ts by `npm run docs:rules`; do not edit by hand. -->',
    '',
    'Severity has one meaning across formats: **error** — the consumer rejects the file (the loader',
    'fails, the daemon refuses to start); **warning** — accepted, but it will not work as meant;',
    '**info** — advice. Errors block `mirrorctl` from writing; warnings are reported and do not.',
  ]
  for (const format of formats) {
    out.push('', `## ${formatTitles[format] ?? format}`, '')
    out.push('| Rule | Severity | Description | Hint | Source |', '| --- | --- | --- | --- | --- |')
    for (const r of rules.filter((x) => x.format === format)) {
      const cells = [`\`${r.id}\``, r.severity, cell(r.description), cell(r.hint), source(r.source)]
      out.push(`| ${cells.join(' | ')} |`)
    }
  }
  return `${out.join('\n')}\n`
}

// Backslash-escape what Markdown or the table would read as syntax ([[registry]], <host>, a|b, *.example.com).
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\\`*_[\]<>|]/g, '\\$&')
}

function source(src: string | undefined): string {
  if (src === undefined || src === '') return ''
  if (!/^https?:\/\//.test(src)) return cell(src)
  // Link text: on GitHub the file (man page or Go source) says it all; elsewhere host and path.
  const url = new URL(src)
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
  const label = url.host === 'github.com' && segments.length > 0 ? segments.at(-1)! : [url.host, ...segments].join('/')
  return `[${cell(label)}](${src.replace(/[()\s]/g, encodeURIComponent)})`
}
