/** containerd behaviour families that differ in remotes/docker/config (see docs/containerd.md). */
export type ContainerdVersion = '1.6' | '1.7' | '2'

export const NEWEST_CONTAINERD: ContainerdVersion = '2'

/** "1.6.20", "v1.7.3", "2.0.0-rc.1", "containerd github.com/containerd/containerd 1.6.20 …" -> family; null when unreadable. */
export function containerdFamily(text: string): ContainerdVersion | null {
  const m = /(?:^|[\sv])(\d+)\.(\d+)(?:\.\d+)?/.exec(` ${text.trim()}`)
  if (!m) return null
  const major = Number(m[1])
  const minor = Number(m[2])
  if (major >= 2) return '2'
  if (major === 1 && minor >= 7) return '1.7'
  if (major === 1) return '1.6'
  return null
}
