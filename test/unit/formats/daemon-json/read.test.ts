import {readFileSync} from 'node:fs'
import {expect, test} from 'vitest'
import {daemonJson} from '../../../../src/formats/daemon-json/index.js'

const read = (text: string) => daemonJson.read(daemonJson.parse(text, 'daemon.json'))

test('mirrors as dockerd stores them: one trailing slash, no duplicates, in order', () => {
  expect(read('{"registry-mirrors": ["https://b.example.com", "https://a.example.com/", "https://b.example.com/", 5]}').registryMirrors).toEqual([
    'https://b.example.com/',
    'https://a.example.com/',
  ])
})

test('insecure registries as dockerd uses them: the scheme stripped', () => {
  expect(read('{"insecure-registries": ["http://10.0.0.5:5000", "registry.local", "10.0.0.0/8"]}').insecureRegistries).toEqual([
    '10.0.0.5:5000',
    'registry.local',
    '10.0.0.0/8',
  ])
})

test('proxies', () => {
  expect(read('{"proxies": {"http-proxy": "http://p:3128", "no-proxy": "localhost"}}').proxies).toEqual({httpProxy: 'http://p:3128', noProxy: 'localhost'})
  expect(read('{"debug": true}').proxies).toBeUndefined()
})

test('keys hold every top-level value, the last of duplicates', () => {
  expect(read('{"debug": true, "log-opts": {"max-size": "10m"}, "debug": false}').keys).toEqual({debug: false, 'log-opts': {'max-size': '10m'}})
})

test('an empty or missing file configures nothing', () => {
  expect(read('')).toEqual({registryMirrors: [], insecureRegistries: [], keys: {}})
})

test('a realistic file', () => {
  const text = readFileSync(new URL('../../../../fixtures/daemon-json/compact.json', import.meta.url), 'utf8')
  expect(read(text)).toEqual({
    registryMirrors: ['https://mirror.gcr.io/'],
    insecureRegistries: ['10.0.0.5:5000'],
    keys: {'registry-mirrors': ['https://mirror.gcr.io'], 'insecure-registries': ['10.0.0.5:5000'], debug: false},
  })
})
