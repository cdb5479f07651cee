import type {Format} from '../format.js'
import type {MirrorChange} from '../../policy/mirror-policy.js'
import {lintDaemonJson, type DaemonJsonLintContext} from './lint.js'
import {parseDaemonJson, type DaemonJsonDoc} from './parse.js'
import {planDaemonJson} from './plan.js'
import {readDaemonJson, type DaemonJsonConfig} from './read.js'

/** Docker's daemon.json: parse, lint, read and plan, all pure. */
export const daemonJson: Format<DaemonJsonDoc, DaemonJsonLintContext, DaemonJsonConfig, MirrorChange> = {
  name: 'daemon-json',
  parse: parseDaemonJson,
  lint: lintDaemonJson,
  read: readDaemonJson,
  plan: planDaemonJson,
}

export {rules} from './rules.js'
export {parseDaemonJson, positionAt, topMembers, lastMember, toValue} from './parse.js'
export type {DaemonJsonDoc, JsonNode, JsonMember, JsonObject, JsonArray} from './parse.js'
export {lintDaemonJson, type DaemonJsonLintContext} from './lint.js'
export {readDaemonJson, mirrorEntries, type DaemonJsonConfig} from './read.js'
export {planDaemonJson, assertDockerHubSource, NotDockerHubError} from './plan.js'
export {isDockerHubSource, checkMirror, checkInsecureRegistry, normalizeMirror} from './mirror-url.js'
export {OPTIONS, isReloadable, engineVersion, type OptionSpec} from './known-keys.js'
export {dockerdCommand, execStartCommands, parseDockerdArgs, splitCommandLine, type DockerdFlag, type ExecStartCommand} from './dockerd-flags.js'
