// The Node version check of bin/run.js, without semver (oclif loads all of it for this).

/** For a ">=X.Y[.Z]" engines range: whether `version` is older; null for any other form of range. */
export function nodeTooOld(range, version = process.versions.node) {
  const m = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range ?? '')
  if (!m) return null
  const want = [m[1], m[2], m[3] ?? '0'].map(Number)
  const have = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] < want[i]
  return false
}
