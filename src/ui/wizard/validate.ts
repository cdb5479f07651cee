import {existsSync, statSync} from 'node:fs'
import {UserError} from '../../core/errors.js'
import {resolveTargets, checkUser} from '../../fleet/targets.js'
import {parseLocationArgument, parseMirrorArgument} from '../../policy/mirror-policy.js'
import {parseSpec} from '../../policy/spec.js'

/**
 * Validators for inquirer prompts: true, or the message to show under the prompt. Each one
 * calls the code the non-interactive commands use, so an answer accepted here is accepted
 * by `apply --spec` and `mirror add` too.
 */
export function messageOf(error: unknown): string {
  if (error instanceof UserError) return `${error.message}${error.hint ? ` (${error.hint})` : ''}`
  return error instanceof Error ? error.message : String(error)
}

function attempt(fn: () => unknown): true | string {
  try {
    fn()
    return true
  } catch (error) {
    if (error instanceof UserError) return messageOf(error)
    throw error
  }
}

/** A registry or prefix to mirror, checked as a spec source (a name with no registry is refused). */
export function validateSource(value: string): true | string {
  const v = value.trim()
  if (!v) return 'give a registry such as quay.io, or a prefix such as quay.io/myorg'
  return attempt(() => parseSpec(`[[mirror]]\nsource = ${JSON.stringify(v)}\nmirrors = []\n`, 'answer'))
}

/** A mirror for `source`: host[:port][/namespace] or an http(s) URL the engines can use. */
export function validateMirror(source: string): (value: string) => true | string {
  return (value) => (value.trim() ? attempt(() => parseMirrorArgument(value.trim(), {source})) : 'give the mirror, for example mirror.example.com:5000')
}

/** A Distribution pull-through cache serves the upstream at its root: host[:port] or a URL without a path. */
export function validateCache(source: string): (value: string) => true | string {
  return (value) => {
    const ok = validateMirror(source)(value)
    if (ok !== true) return ok
    return parseMirrorArgument(value.trim()).path ? 'a Distribution pull-through cache serves at its root: give host[:port] without a path' : true
  }
}

/** A Harbor project name (a lower-case repository path component). */
export function validateProject(host: string, source: string): (value: string) => true | string {
  return (value) => (/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(value.trim()) ? validateMirror(source)(`${host}/${value.trim()}`) : 'a Harbor project name: lower-case letters, digits, ".", "_" and "-", for example dockerhub-proxy')
}

export function validateLocation(source: string): (value: string) => true | string {
  return (value) => attempt(() => parseLocationArgument(value.trim(), source))
}

/** Comma-separated host names, validated as --hosts is. */
export function validateHosts(value: string): true | string {
  return attempt(() => resolveTargets({hosts: value}, null))
}

export function validateUser(value: string): true | string {
  return value.trim() === '' ? true : attempt(() => checkUser(value.trim(), 'user'))
}

/** An existing regular file (empty allowed when optional). */
export function validateFile(optional: boolean): (value: string) => true | string {
  return (value) => {
    const v = value.trim()
    if (!v) return optional ? true : 'give a file path'
    if (!existsSync(v)) return `${v} does not exist`
    return statSync(v).isFile() ? true : `${v} is not a file`
  }
}

export function validateDirectory(value: string): true | string {
  const v = value.trim()
  if (!v) return 'give a folder'
  return existsSync(v) && statSync(v).isDirectory() ? true : `${v} is not a folder`
}
