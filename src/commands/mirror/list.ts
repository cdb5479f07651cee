import {BaseCommand} from '../../cli/base-command.js'
import {locationFlags} from '../../cli/flags.js'
import {engineFlags, selectEngines} from '../../cli/engine-selection.js'
import {LocalHost} from '../../hosts/local-host.js'
import {loadRegistriesConf} from '../../engines/registries-conf-engine.js'
import {loadDaemonJson} from '../../engines/docker-engine.js'
import {readDaemonJson} from '../../formats/daemon-json/index.js'
import {configRejected} from '../../lint/config-rejected.js'

export default class MirrorList extends BaseCommand {
  static override summary = 'List the mirrors every engine uses: registries.conf entries after merging all files, and daemon.json registry-mirrors.'
  static override flags = {...locationFlags, ...engineFlags}
  static override examples = ['<%= config.bin %> mirror list', '<%= config.bin %> mirror list --engine podman --root /srv/image-root --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(MirrorList)
    const host = new LocalHost(flags.root)
    const selection = await selectEngines(host, flags)
    const out: {podman?: unknown; docker?: unknown} = {}
    const lines: string[] = []
    if (selection.engines.includes('podman')) {
      const {set, locations} = await loadRegistriesConf(host, {registriesConf: flags['registries-conf'], registriesConfDir: flags['registries-conf-dir']})
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
      out.podman = {files: set.merged.files, registries}
      lines.push(`podman, buildah, skopeo, CRI-O — registries.conf (${locations.reason}): ${set.merged.files.length ? set.merged.files.join(', ') : 'no files'}`)
      if (!registries.length) lines.push('  no [[registry]] entries')
      for (const r of registries) {
        lines.push(`  ${r.prefix}${r.location !== r.prefix ? ` -> ${r.location}` : ''}${r.blocked ? ' (blocked)' : ''}${r.insecure ? ' (insecure)' : ''}  [${r.file}]`)
        if (!r.mirrors.length) lines.push('    no mirrors')
        r.mirrors.forEach((m, i) => lines.push(`    ${i + 1}. ${m.location}${m.insecure ? ' (insecure)' : ''}${m.pullFromMirror !== 'all' ? ` (${m.pullFromMirror})` : ''}`))
      }
    }
    if (selection.engines.includes('docker')) {
      const loaded = await loadDaemonJson(host, selection.daemonJson)
      const firstError = loaded.doc.syntaxFindings.find((f) => f.severity === 'error')
      if (firstError) throw configRejected(firstError)
      const config = readDaemonJson(loaded.doc)
      out.docker = {file: loaded.location.path, exists: loaded.text !== null, registryMirrors: config.registryMirrors, insecureRegistries: config.insecureRegistries}
      lines.push(`docker — ${loaded.location.path}${loaded.text === null ? ' (does not exist: no mirrors)' : ''}`)
      lines.push(config.registryMirrors.length ? '  Docker Hub mirrors:' : '  no registry-mirrors')
      config.registryMirrors.forEach((m, i) => lines.push(`    ${i + 1}. ${m}`))
      if (config.insecureRegistries.length) lines.push(`  insecure-registries: ${config.insecureRegistries.join(', ')}`)
    }
    if (flags.json) this.printJson(out)
    else this.print(lines.join('\n'))
  }
}
