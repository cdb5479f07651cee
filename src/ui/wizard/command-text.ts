import type {SpecAnswers, TargetAnswer} from './answers.js'

/** Quotes a word for POSIX sh only when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The target flags of the answer, as `apply --spec` takes them. */
export function targetArgs(target: TargetAnswer): string[] {
  const f = target.flags
  const args: string[] = []
  if (f.root !== undefined) args.push('--root', f.root)
  if (f.hosts !== undefined) args.push('--hosts', f.hosts)
  if (f.inventory !== undefined) args.push('--inventory', f.inventory)
  if (f.limit !== undefined) args.push('--limit', f.limit)
  if (f['ssh-config'] !== undefined) args.push('--ssh-config', f['ssh-config'])
  if (f.user !== undefined) args.push('--user', f.user)
  if (f.become) args.push('--become')
  if (f['accept-new-host-keys']) args.push('--accept-new-host-keys')
  return args
}

/** The non-interactive command that repeats this setup from the spec file. */
export function applyCommand(target: TargetAnswer, specFile: string): string {
  return ['mirrorctl', 'apply', '--spec', specFile, ...targetArgs(target), '--yes'].map(shellWord).join(' ')
}

/**
 * For one machine: the `mirror add` commands with the same effect on a host that has no
 * other mirrors for these sources (mirror add puts mirrors in front; apply --spec sets
 * exactly these). null for a fleet.
 */
export function mirrorAddCommands(target: TargetAnswer, answers: SpecAnswers): string[] | null {
  if (target.kind !== 'local' && target.kind !== 'root') return null
  return answers.entries
    .filter((e) => e.mirrors.length || e.location !== null)
    // One command per named engine: --engine all would reach engines the entry is not for.
    .flatMap((e) => (e.engines ?? [null]).map((engine) => {
      const args = ['mirrorctl', 'mirror', 'add', e.source, ...e.mirrors]
      if (e.location !== null) args.push('--location', e.location)
      if (e.insecure) args.push('--insecure')
      if (engine) args.push('--engine', engine)
      if (answers.fixNoProxy) args.push('--fix-no-proxy')
      if (target.flags.root !== undefined) args.push('--root', target.flags.root)
      return args.map(shellWord).join(' ')
    }))
}
