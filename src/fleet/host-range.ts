/**
 * Expands an Ansible host range: web[01:03] -> web01 web02 web03 (zero padding kept),
 * db-[a:c] -> db-a db-b db-c, with an optional stride [1:9:2]. Several ranges multiply.
 */
export function expandHostRange(pattern: string, limit = 10_000): string[] {
  const m = /^(.*?)\[([^\]:]+):([^\]:]+)(?::(\d+))?\](.*)$/.exec(pattern)
  if (!m) {
    if (/[[\]]/.test(pattern)) throw new Error(`invalid host range "${pattern}"`)
    return [pattern]
  }
  const [, head, from, to, strideText, tail] = m as unknown as [string, string, string, string, string | undefined, string]
  const stride = strideText === undefined ? 1 : Number(strideText)
  if (!(stride >= 1)) throw new Error(`invalid stride in host range "${pattern}"`)
  const items: string[] = []
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from)
    const b = Number(to)
    if (a > b) throw new Error(`host range "${pattern}" runs backwards`)
    if ((b - a) / stride + 1 > limit) throw new Error(`host range "${pattern}" has more than ${limit} hosts`)
    const width = from.startsWith('0') && from.length > 1 ? from.length : 0
    for (let i = a; i <= b; i += stride) items.push(String(i).padStart(width, '0'))
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    const a = from.charCodeAt(0)
    const b = to.charCodeAt(0)
    if (a > b) throw new Error(`host range "${pattern}" runs backwards`)
    for (let i = a; i <= b; i += stride) items.push(String.fromCharCode(i))
  } else throw new Error(`invalid host range "${pattern}": use numbers or single letters`)
  const tails = expandHostRange(tail, limit)
  if (items.length * tails.length > limit) throw new Error(`host range "${pattern}" has more than ${limit} hosts`)
  return items.flatMap((item) => tails.map((t) => `${head}${item}${t}`))
}
