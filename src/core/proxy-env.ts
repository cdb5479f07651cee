/**
 * The proxy settings a Go program reads from its environment (httpproxy.FromEnvironment),
 * with the origin of each value kept for messages. See shared/reference/no-proxy.md. Pure.
 */

/** An environment: name -> value; '' is "set but empty", undefined is "not set". */
export type ProxyEnv = Readonly<Record<string, string | undefined>>

/** A value and where it came from, e.g. "HTTPS_PROXY" or "/etc/.../http-proxy.conf:3: HTTPS_PROXY". */
export interface Setting {
  value: string
  source: string
}

/** An environment whose values carry their origin. */
export type SourcedEnv = Readonly<Record<string, Setting | undefined>>

export interface ProxyConfig {
  httpProxy?: Setting
  httpsProxy?: Setting
  noProxy?: Setting
}

/** The variables Go reads, in the order it reads them (upper case first, unlike curl). */
export const PROXY_VARIABLES = {
  httpProxy: ['HTTP_PROXY', 'http_proxy'],
  httpsProxy: ['HTTPS_PROXY', 'https_proxy'],
  noProxy: ['NO_PROXY', 'no_proxy'],
} as const

/** Attach a source label to each variable of a plain environment. */
export function labelEnv(env: ProxyEnv, label: (name: string) => string = name => name): SourcedEnv {
  const out: Record<string, Setting> = {}
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = {value, source: label(name)}
  return out
}

/**
 * Go's lookup over an environment with sources: for each setting the first of UPPER, lower
 * that is non-empty (an upper-case variable set to '' falls through to lower case).
 */
export function configFromSourcedEnv(env: SourcedEnv): ProxyConfig {
  const config: ProxyConfig = {}
  for (const key of ['httpProxy', 'httpsProxy', 'noProxy'] as const) {
    for (const name of PROXY_VARIABLES[key]) {
      const setting = env[name]
      if (setting && setting.value !== '') {
        config[key] = setting
        break
      }
    }
  }
  return config
}

/**
 * The proxy configuration Go derives from an environment.
 *
 * REQUEST_METHOD is ignored on purpose: Go refuses HTTP_PROXY when it is set (a CGI guard),
 * but container daemons never run as CGI handlers, and a stray REQUEST_METHOD in an
 * operator's shell must not change what mirrorctl reports for a daemon.
 */
export function configFromEnv(env: ProxyEnv, sourceLabel?: (name: string) => string): ProxyConfig {
  return configFromSourcedEnv(labelEnv(env, sourceLabel))
}
