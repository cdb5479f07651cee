import {BaseCommand} from '../../cli/base-command.js'
import {checkRoot} from '../../cli/root-flag.js'
import {locationFlags} from '../../cli/flags.js'
import {engineFlags, selectEngines} from '../../cli/engine-selection.js'
import {LocalHost} from '../../hosts/local-host.js'
import {listMirrors} from '../../cli/mirror-listing.js'
import {targetFlags} from '../../fleet/flags.js'
import {hasTargets} from '../../fleet/imperative.js'
import {listFleet} from '../../fleet/list-fleet.js'

export default class MirrorList extends BaseCommand {
  static override summary = 'List the mirrors every engine uses: registries.conf entries after merging all files, and daemon.json registry-mirrors.'
  static override description =
    'With --hosts or --inventory, every host is listed from one gather over SSH; --json prints {"hosts":[{"host","status":"ok"|"failed","reason", ...}]} where each ok host carries the keys of the local --json (podman, docker, containerd, k3s, warnings), and a failed host its reason (exit 1).'
  static override flags = {...locationFlags, ...engineFlags, ...targetFlags}
  static override examples = [
    '<%= config.bin %> mirror list',
    '<%= config.bin %> mirror list --engine podman --root /srv/image-root --json',
    '<%= config.bin %> mirror list --inventory hosts.ini --limit ci-runners --json',
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(MirrorList)
    if (hasTargets(flags)) {
      const fleet = await listFleet(flags)
      for (const w of fleet.warnings) this.note(w)
      if (flags.json) this.printJson({hosts: fleet.hosts})
      else this.print(fleet.text)
      return this.setExit(fleet.exitCode)
    }
    await checkRoot(flags.root)
    const host = new LocalHost(flags.root)
    const selection = await selectEngines(host, flags)
    const {out, lines} = await listMirrors(host, selection, flags)
    for (const w of out.warnings) this.note(w)
    if (flags.json) this.printJson(out)
    else this.print(lines.join('\n'))
  }
}
