/**
 * Masking of passwords in proxy values and in text that quotes URLs, so that no message,
 * report or log of mirrorctl shows a proxy password. Pure.
 */

/**
 * Mask passwords of URLs inside free text: "scheme://user:secret@host" and
 * "user:secret@host" become "...user:***@host". The user name is kept. Greedy up to the last
 * '@' of a run without whitespace, as Go splits user info at the last '@'. A password that
 * contains whitespace is only safe with maskProxyValue.
 */
export function maskUrlCredentials(s: string): string {
  return s.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^\s:/?#@"'<>()[\]{},;=]+):[^\s/?#"'<>]*@/g, '$1$2:***@')
}

/**
 * Mask the password of one proxy value (the whole string is one value, so a password with
 * spaces or odd characters is masked too): everything between the first ':' of the user
 * info and the last '@'.
 */
export function maskProxyValue(value: string): string {
  const schemeEnd = value.indexOf('://')
  const start = schemeEnd >= 0 ? schemeEnd + 3 : 0
  const at = value.lastIndexOf('@')
  if (at < start) return value
  const colon = value.indexOf(':', start)
  if (colon < 0 || colon > at) return value
  return `${value.slice(0, colon + 1)}***${value.slice(at)}`
}
