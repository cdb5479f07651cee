import {describe, expect, test} from 'vitest'
import {setHostCa} from '../../../../src/formats/containerd-hosts/ca-key.js'
import {parseTomlDoc} from '../../../../src/formats/containerd-hosts/index.js'
import {parseMirrorArgument} from '../../../../src/policy/mirror-policy.js'

const M = parseMirrorArgument('mirror.example:5000')
const CA = '/etc/containerd/certs.d/docker.io/mirrorctl-ca-mirror.example_5000.pem'
const caOf = (text: string) => (parseTomlDoc(text, 'hosts.toml').data?.['host'] as Record<string, Record<string, unknown>>)['https://mirror.example:5000']?.['ca']

describe('setHostCa: the ca key of the mirror\'s [host] table', () => {
  test('added after the last key, indented like it; comments and other tables kept', () => {
    const text = '# mine\nserver = "https://registry-1.docker.io"\n\n[host."https://mirror.example:5000"]\n    capabilities = ["pull", "resolve"] # pull only\n\n[host."https://other:5000"]\n  capabilities = ["pull"]\n'
    const r = setHostCa(text, 'hosts.toml', M, CA)
    expect(r.after).toBe(text.replace('# pull only\n', `# pull only\n    ca = "${CA}"\n`))
    expect(r.action).toBe(`set ca = "${CA}" for host https://mirror.example:5000`)
    expect(setHostCa(r.after, 'hosts.toml', M, CA)).toEqual({after: r.after, action: null})
  })

  test('a ca naming another file is replaced; an array gets the file first; CRLF files stay CRLF', () => {
    const one = '[host."https://mirror.example:5000"]\r\n  ca = "/old.pem"\r\n'
    expect(setHostCa(one, 'hosts.toml', M, CA).after).toBe(`[host."https://mirror.example:5000"]\r\n  ca = "${CA}"\r\n`)
    const many = '[host."https://mirror.example:5000"]\n  ca = ["/a.pem"]\n'
    const r = setHostCa(many, 'hosts.toml', M, CA)
    expect(caOf(r.after)).toEqual([CA, '/a.pem'])
    expect(setHostCa(r.after, 'hosts.toml', M, CA).action).toBeNull()
    const noEol = '[host."https://mirror.example:5000"]\n  capabilities = ["pull"]'
    expect(caOf(setHostCa(noEol, 'hosts.toml', M, CA).after)).toBe(CA)
  })

  test('no table for the mirror, or a file that does not parse: unchanged', () => {
    expect(setHostCa('[host."https://other:5000"]\n', 'hosts.toml', M, CA).action).toBeNull()
    expect(setHostCa('[host."https://mirror.example:5000"\n', 'hosts.toml', M, CA).action).toBeNull()
  })
})
