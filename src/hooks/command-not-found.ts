import type {Hook, Interfaces} from '@oclif/core'
import {renderError} from '../cli/base-command.js'
import {closest, editDistance} from '../core/did-you-mean.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'

/**
 * oclif runs this when no command matches (`mirrorctl lnt`, `mirrorctl mirror ad`): name the
 * nearest command or topic, print the error as commands do (JSON under --json) and exit 2.
 */
const hook: Hook<'command_not_found'> = async function ({id, config}) {
  const typed = displayId(config, mistypedId(config, id))
  if (typed.startsWith('-')) {
    const message = `"${typed}" is not a ${config.bin} command: flags go after the command`
    renderError(message, {json: process.argv.includes('--json'), error: new UserError(message, {hint: `${config.bin} --help lists the commands`})})
    process.exitCode = ExitCode.Usage
    return
  }
  const suggestion = nearest(typed, candidates(config))
  const message = `"${typed}" is not a ${config.bin} command${suggestion ? `; did you mean "${suggestion}"?` : ''}`
  const hint = suggestion ? `${config.bin} ${suggestion} --help` : `${config.bin} --help lists the commands`
  renderError(message, {json: process.argv.includes('--json'), error: new UserError(message, {hint})})
  process.exitCode = ExitCode.Usage
}

export default hook

/**
 * oclif joins every word before the first flag into the id (`mirror ad docker.io` ->
 * mirror:ad:docker.io); the mistyped part ends at the first word that is not a topic.
 */
function mistypedId(config: Interfaces.Config, id: string): string {
  const parts = id.split(':')
  let n = 1
  while (n < parts.length && config.findTopic(parts.slice(0, n).join(':'))) n++
  return parts.slice(0, n).join(':')
}

/** Command ids as the user types them: oclif's ":" becomes the topic separator (a space here). */
function displayId(config: Interfaces.Config, id: string): string {
  return id.split(':').join(config.topicSeparator)
}

/** Every visible command and topic, as typed. */
function candidates(config: Interfaces.Config): string[] {
  const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const topics = config.topics.filter((t) => !t.hidden).map((t) => t.name)
  return [...new Set([...ids, ...topics])].map((id) => displayId(config, id)).sort()
}

/** closest() refuses short names; one edit still points a three-letter typo (lnt) at its command. */
function nearest(typed: string, names: readonly string[]): string | null {
  const found = closest(typed, names)
  if (found) return found
  const oneEdit = names.filter((n) => editDistance(typed.toLowerCase(), n.toLowerCase()) === 1)
  return oneEdit.length === 1 ? oneEdit[0]! : null
}
