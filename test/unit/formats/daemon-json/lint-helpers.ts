/** Shared by the daemon.json lint tests: lint a text and pick findings by rule. */
import {lintDaemonJson, type DaemonJsonLintContext} from '../../../../src/formats/daemon-json/lint.js'
import {parseDaemonJson} from '../../../../src/formats/daemon-json/parse.js'

export const FILE = '/etc/docker/daemon.json'

export const lint = (text: string, ctx: DaemonJsonLintContext = {}) => lintDaemonJson(parseDaemonJson(text, FILE), ctx)

/** Findings of one rule as position, severity, message and hint. */
export const only = (rule: string, text: string, ctx: DaemonJsonLintContext = {}) =>
  lint(text, ctx)
    .filter((f) => f.rule === `daemon-json/${rule}`)
    .map((f) => ({at: `${f.line}:${f.column}`, severity: f.severity, message: f.message, hint: f.hint}))

/** The rule ids of all findings, without the format prefix, in position order. */
export const ruleIds = (text: string, ctx: DaemonJsonLintContext = {}) => lint(text, ctx).map((f) => f.rule.replace('daemon-json/', ''))
