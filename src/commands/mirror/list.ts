import {BaseCommand} from '../../cli/base-command.js'
import {locationFlags} from '../../cli/flags.js'
import {LocalHost} from '../../hosts/local-host.js'
import {loadRegistriesConf} from '../../engines/registries-conf-engine.js'
import {configRejected} from '../../lint/config-rejected.js'

export default class MirrorList extends BaseCommand {
  static override summary = 'List every registry entry and its mirrors as the engines see them after merging all files.'
  static override flags = {...locationFlags}
  static override examples = ['<%= config.bin %> mirror list', '<%= config.bin %> mirror list --root /srv/image-root --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(MirrorList)
    const {set, locations} = await loadRegistriesConf(new LocalHost(flags.root), {
      registriesConf: flags['registries-conf'],
      registriesConfDir: flags['registries-conf-dir'],
    })
    if (!set.merged) throw configRejected(set.firstError!)
    const registries = set.merged.registries.map((r) => ({
      prefix: r.prefix,
      location: r.location,
      file: r.file,
      insecure: r.insecure,
      blocked: r.blocked,
      mirrorByDigestOnly: r.mirrorByDigestOnly,
      mirrors: r.mirrors.map((m) => ({location: m.location, insecure: m.insecure, pullFromMirror: m.pullFromMirror || 'all'})),
    }))
    if (flags.json) {
      this.printJson({engine: 'podman', files: set.merged.files, registries})
      return
    }
    const lines = [`registries.conf (${locations.reason}): ${set.merged.files.length ? set.merged.files.join(', ') : 'no files'}`]
    if (!registries.length) lines.push('  no [[registry]] entries')
    for (const r of registries) {
      lines.push(`  ${r.prefix}${r.location !== r.prefix ? ` -> ${r.location}` : ''}${r.blocked ? ' (blocked)' : ''}${r.insecure ? ' (insecure)' : ''}  [${r.file}]`)
      if (!r.mirrors.length) lines.push('    no mirrors')
      r.mirrors.forEach((m, i) => lines.push(`    ${i + 1}. ${m.location}${m.insecure ? ' (insecure)' : ''}${m.pullFromMirror !== 'all' ? ` (${m.pullFromMirror})` : ''}`))
    }
    this.print(lines.join('\n'))
  }
}
