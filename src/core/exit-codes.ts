/** Exit codes shared by every command (documented in README "Exit codes"). */
export const ExitCode = {
  /** Success; nothing at error level. */
  Ok: 0,
  /** Findings at error level, or a configuration the real consumer rejects. */
  Findings: 1,
  /** Usage error, unreadable input, or an interactive command without a terminal. */
  Usage: 2,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]
