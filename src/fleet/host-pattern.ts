import {UserError} from '../core/errors.js'
import {groupHosts, type Inventory} from './inventory.js'

/**
 * Ansible host patterns (`--limit`): names, groups, globs (`web*`), `~regex`, unions with
 * `,` or `:`, intersections `:&group`, exclusions `:!group`. As in Ansible, unions are
 * taken first, then intersections, then exclusions, whatever their order in the pattern,
 * and hosts keep the inventory's order.
 */
export function selectHosts(inv: Inventory, pattern: string): {hosts: string[]; unmatched: string[]} {
  const terms = (pattern.includes(',') ? pattern.split(',') : pattern.split(':')).map((t) => t.trim()).filter(Boolean)
  if (!terms.length) throw new UserError(`empty host pattern "${pattern}"`, {hint: 'for example --limit web, --limit "web:&prod:!web03"'})
  const unions = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'))
  const intersections = terms.filter((t) => t.startsWith('&')).map((t) => t.slice(1))
  const exclusions = terms.filter((t) => t.startsWith('!')).map((t) => t.slice(1))
  const unmatched: string[] = []
  const match = (term: string): Set<string> => {
    const found = matchTerm(inv, term)
    if (!found.size) unmatched.push(term)
    return found
  }
  let selected = new Set<string>()
  for (const t of unions.length ? unions : ['all']) for (const h of match(t)) selected.add(h)
  for (const t of intersections) {
    const keep = match(t)
    selected = new Set([...selected].filter((h) => keep.has(h)))
  }
  for (const t of exclusions) for (const h of match(t)) selected.delete(h)
  return {hosts: [...inv.hosts.keys()].filter((h) => selected.has(h)), unmatched}
}

function matchTerm(inv: Inventory, term: string): Set<string> {
  if (term === 'all' || term === '*') return new Set(inv.hosts.keys())
  let test: (name: string) => boolean
  let exact = false
  if (term.startsWith('~')) {
    let re: RegExp
    try {
      re = new RegExp(term.slice(1))
    } catch {
      throw new UserError(`invalid regular expression in host pattern "${term}"`, {hint: 'after ~ comes a regular expression, for example ~web0[1-3]'})
    }
    // Python's re.match anchors at the start only.
    test = (name) => re.exec(name)?.index === 0
  } else if (/[*?[]/.test(term)) {
    const re = globToRegExp(term)
    test = (name) => re.test(name)
  } else {
    exact = true
    test = (name) => name === term
  }
  const out = new Set<string>()
  // A glob such as a* should not pull in the implicit groups "all" and "ungrouped".
  for (const g of inv.groups.keys()) if ((exact || (g !== 'all' && g !== 'ungrouped')) && test(g)) for (const h of groupHosts(inv, g)) out.add(h)
  for (const h of inv.hosts.keys()) if (test(h)) out.add(h)
  return out
}

/** fnmatch: `*` any run, `?` one character, `[...]` a class; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end === -1) re += '\\['
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\')
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`
        i = end
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}
