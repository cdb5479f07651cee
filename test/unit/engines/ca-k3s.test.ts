import {describe, expect, test} from 'vitest'
import {setK3sCa} from '../../../src/engines/ca-k3s.js'

const CA = [{host: 'm.example:5000', caFile: '/etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem'}]

describe('setK3sCa', () => {
  test('an empty file, an empty configs and an existing tls table all get ca_file; comments kept', () => {
    expect(setK3sCa('', CA).after).toBe('configs:\n  m.example:5000:\n    tls:\n      ca_file: /etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem\n')
    expect(setK3sCa('configs:\n', CA).actions).toHaveLength(1)
    const tls = '# keep\nconfigs:\n  m.example:5000:\n    tls:\n      insecure_skip_verify: false # keep too\n'
    const r = setK3sCa(tls, CA)
    expect(r.after).toContain('# keep\n')
    expect(r.after).toContain('insecure_skip_verify: false # keep too\n      ca_file: /etc/rancher/k3s/certs/mirrorctl-ca-m.example_5000.pem\n')
    expect(setK3sCa(r.after, CA)).toEqual({after: r.after, actions: []})
  })

  test('another ca_file is replaced; a file that is not a mapping or not YAML is refused', () => {
    expect(setK3sCa('configs:\n  m.example:5000:\n    tls:\n      ca_file: /old.pem\n', CA).after).toContain('ca_file: /etc/rancher/k3s/certs/')
    expect(setK3sCa('- a\n', CA).error).toBe('is not a YAML mapping')
    expect(setK3sCa('configs: {\n', CA).error).toMatch(/^is not valid YAML/)
    expect(setK3sCa('configs:\n  m.example:5000: 3\n', CA).error).toBe('has configs.m.example:5000 that is not a mapping')
  })
})
