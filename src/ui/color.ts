/** Terminal colour lives in core/color.ts (reporters and commands of every layer use it); kept here for its importers. */
export {shouldColor, styles, type ColorEnv, type Style, type Styles} from '../core/color.js'
