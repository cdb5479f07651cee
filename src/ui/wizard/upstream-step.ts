import type {Prompter} from './prompter.js'
import {validateSource} from './validate.js'

const CUSTOM = '\u0000custom'

/** Step 3: which upstream registries to mirror (docker.io preselected). */
export async function askUpstreams(p: Prompter): Promise<string[]> {
  const picked = await p.checkbox(
    'Which registries should be pulled through a mirror? (space toggles, enter accepts)',
    [
      {name: 'docker.io (Docker Hub)', value: 'docker.io', checked: true},
      {name: 'quay.io', value: 'quay.io'},
      {name: 'ghcr.io (GitHub)', value: 'ghcr.io'},
      {name: 'registry.k8s.io (Kubernetes)', value: 'registry.k8s.io'},
      {name: 'another registry or prefix…', value: CUSTOM},
    ],
    (values) => (values.length ? true : 'pick at least one registry'),
  )
  const sources = picked.filter((s) => s !== CUSTOM)
  if (picked.includes(CUSTOM)) {
    for (;;) {
      const s = (await p.input('Registry or prefix (for example registry.example.com or quay.io/myorg):', {validate: (v) => (sources.includes(v.trim()) ? `${v.trim()} is already chosen` : validateSource(v))})).trim()
      sources.push(s)
      if (!(await p.confirm('Add another one?', false))) break
    }
  }
  return sources
}
