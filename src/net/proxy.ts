/**
 * Go's HTTP_PROXY / NO_PROXY rules, gathered under the name the rest of mirrorctl imports.
 * The rules themselves are pure and live in src/core/ beside the other Go rules (go-url, ip);
 * new code may import the core modules directly.
 */

export {configFromEnv, configFromSourcedEnv, labelEnv, PROXY_VARIABLES, type ProxyConfig, type ProxyEnv, type Setting, type SourcedEnv} from '../core/proxy-env.js'
export {maskProxyValue, maskUrlCredentials} from '../core/mask-credentials.js'
export {parseProxyValue, type ParsedProxy} from '../core/proxy-value.js'
export {parseNoProxy, type NoProxyEntry} from '../core/no-proxy.js'
export {decideProxy, type DecisionKind, type ProxyDecision} from '../core/proxy-decision.js'
export {looksInternal, suggestNoProxy} from '../core/no-proxy-advice.js'
