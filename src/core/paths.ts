/**
 * File names mirrorctl itself chooses, shared by the planners that write the files and the
 * host code that gathers and backs them up (so hosts/ need not reach into a planner).
 */

/** The registries.conf.d drop-in mirrorctl writes when no existing entry holds the source. */
export const DEFAULT_DROP_IN = '50-mirrorctl.conf'
