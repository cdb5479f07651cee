// A tiny container image built by hand (nothing can be downloaded here): one ustar
// layer made in-process, an image config and a manifest, pushed with the Registry
// HTTP API V2. Deterministic: the same options always give the same digests.
import {createHash} from 'node:crypto'
import {gzipSync} from 'node:zlib'

export interface ImageBlob {
  mediaType: string
  digest: string
  size: number
  data: Buffer
}

export interface BuiltImage {
  manifestMediaType: string
  manifest: Buffer
  /** sha256 of the manifest bytes: what `skopeo inspect` reports as Digest. */
  digest: string
  config: ImageBlob
  layers: ImageBlob[]
}

export interface PushedImage extends BuiltImage {
  repository: string
  tag: string
}

export type ImageFormat = 'docker' | 'oci'

const MEDIA = {
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
} as const

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

/** Writes `value` as a NUL-terminated octal field of `width` bytes. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii')
}

/** A POSIX ustar archive holding regular files (names < 100 bytes, no directories). */
export function makeTar(files: ReadonlyArray<{name: string; content: Buffer | string; mode?: number}>): Buffer {
  const blocks: Buffer[] = []
  for (const f of files) {
    const body = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, 'utf8')
    if (Buffer.byteLength(f.name) >= 100 || f.name.startsWith('/') || f.name.includes('..')) {
      throw new Error(`tar: unsupported name ${JSON.stringify(f.name)}`)
    }
    const h = Buffer.alloc(512)
    h.write(f.name, 0, 100, 'utf8')
    octal(h, 100, 8, f.mode ?? 0o644)
    octal(h, 108, 8, 0) // uid
    octal(h, 116, 8, 0) // gid
    octal(h, 124, 12, body.length)
    octal(h, 136, 12, 0) // mtime: fixed so digests are reproducible
    h.write('0', 156, 1, 'ascii') // regular file
    h.write('ustar\0', 257, 6, 'ascii')
    h.write('00', 263, 2, 'ascii')
    h.write('root', 265, 32, 'ascii')
    h.write('root', 297, 32, 'ascii')
    // The checksum is computed with its own field read as eight spaces.
    h.fill(0x20, 148, 156)
    let sum = 0
    for (const b of h) sum += b
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii')
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024)) // end-of-archive marker
  return Buffer.concat(blocks)
}

function blob(mediaType: string, data: Buffer): ImageBlob {
  return {mediaType, digest: sha256Digest(data), size: data.length, data}
}

export interface TinyImageOptions {
  format?: ImageFormat
  /** Content of /hello.txt; vary it to get a different image. */
  content?: string
}

/** Builds a one-layer linux/amd64 image in memory. */
export function buildTinyImage(opts: TinyImageOptions = {}): BuiltImage {
  const media = MEDIA[opts.format ?? 'docker']
  const tar = makeTar([{name: 'hello.txt', content: opts.content ?? 'hello from mirrorctl e2e\n'}])
  const layer = blob(media.layer, gzipSync(tar, {level: 9}))
  const configJson = {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: {Labels: {'org.opencontainers.image.title': 'mirrorctl-e2e-tiny'}},
    rootfs: {type: 'layers', diff_ids: [sha256Digest(tar)]},
    history: [{created: '2024-01-01T00:00:00Z', created_by: 'mirrorctl e2e harness'}],
  }
  const config = blob(media.config, Buffer.from(JSON.stringify(configJson)))
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: media.manifest,
      config: {mediaType: config.mediaType, digest: config.digest, size: config.size},
      layers: [{mediaType: layer.mediaType, digest: layer.digest, size: layer.size}],
    }),
  )
  return {manifestMediaType: media.manifest, manifest, digest: sha256Digest(manifest), config, layers: [layer]}
}

async function expectStatus(res: Response, want: number[], what: string): Promise<void> {
  if (want.includes(res.status)) return
  const body = await res.text().catch(() => '')
  throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 500)}`)
}

async function pushBlob(base: string, repository: string, b: ImageBlob): Promise<void> {
  const head = await fetch(`${base}/v2/${repository}/blobs/${b.digest}`, {method: 'HEAD'})
  if (head.status === 200) return
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, {method: 'POST'})
  await expectStatus(start, [202], `start upload of ${b.digest}`)
  const location = start.headers.get('location')
  if (!location) throw new Error('registry gave no upload Location')
  // Location may be relative and already carries query state (_state=...).
  const put = new URL(location, base)
  put.searchParams.set('digest', b.digest)
  const res = await fetch(put, {
    method: 'PUT',
    headers: {'content-type': 'application/octet-stream'},
    body: b.data,
  })
  await expectStatus(res, [201], `upload of ${b.digest}`)
}

const REPO_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/

/** Pushes `image` as `repository:tag` to the registry at `registryUrl` (http(s)://host:port). */
export async function pushImage(registryUrl: string, repository: string, tag: string, image: BuiltImage): Promise<PushedImage> {
  if (!REPO_RE.test(repository)) throw new Error(`bad repository ${JSON.stringify(repository)}`)
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new Error(`bad tag ${JSON.stringify(tag)}`)
  const base = registryUrl.replace(/\/+$/, '')
  for (const b of [...image.layers, image.config]) await pushBlob(base, repository, b)
  const res = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: {'content-type': image.manifestMediaType},
    body: image.manifest,
  })
  await expectStatus(res, [201], `manifest ${repository}:${tag}`)
  const served = res.headers.get('docker-content-digest')
  if (served && served !== image.digest) {
    throw new Error(`registry computed manifest digest ${served}, expected ${image.digest}`)
  }
  return {...image, repository, tag}
}

/** Seeds `library/<name>:latest` (a Docker Hub official image name) into an upstream registry. */
export async function seedTinyImage(registryUrl: string, name = 'tiny', opts: TinyImageOptions = {}): Promise<PushedImage> {
  return pushImage(registryUrl, `library/${name}`, 'latest', buildTinyImage(opts))
}
