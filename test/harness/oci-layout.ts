// An OCI image layout on disk (oci-layout, index.json, blobs/sha256/...) holding an image
// from oci-image.ts, and a push of it with the real `skopeo copy`, the way an operator
// seeds a registry from a saved image.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {buildTinyImage, type BuiltImage, type TinyImageOptions} from './oci-image.js'
import {assertLoopback} from './ports.js'
import {requireTool} from './require-tools.js'

/** Writes `image` as an OCI layout in `dir` under the ref name `tag`. */
export function writeOciLayout(dir: string, image: BuiltImage, tag: string): void {
  const blobs = join(dir, 'blobs', 'sha256')
  mkdirSync(blobs, {recursive: true})
  const put = (digest: string, data: Buffer) => writeFileSync(join(blobs, digest.replace(/^sha256:/, '')), data)
  for (const b of [image.config, ...image.layers]) put(b.digest, b.data)
  put(image.digest, image.manifest)
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const index = {
    schemaVersion: 2,
    manifests: [{mediaType: image.manifestMediaType, digest: image.digest, size: image.manifest.length, annotations: {'org.opencontainers.image.ref.name': tag}}],
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index))
}

/**
 * Builds a tiny OCI image, lays it out in `workDir`, and pushes it with skopeo copy to
 * `registryHost` ("127.0.0.1:PORT", plain HTTP) as `repository:tag`. Returns the image.
 */
export async function skopeoPushTinyImage(workDir: string, registryHost: string, repository: string, tag = 'latest', opts: TinyImageOptions = {}): Promise<BuiltImage> {
  assertLoopback(registryHost.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))
  const skopeo = requireTool('skopeo')
  const image = buildTinyImage({format: 'oci', ...opts})
  const layout = join(workDir, 'oci-layout')
  writeOciLayout(layout, image, tag)
  const policy = join(workDir, 'policy.json')
  writeFileSync(policy, JSON.stringify({default: [{type: 'insecureAcceptAnything'}]}))
  // --preserve-digests: the registry must hold the manifest bytes built here, digest and all.
  await execa(skopeo, ['--policy', policy, 'copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:${tag}`, `docker://${registryHost}/${repository}:${tag}`], {env: {HOME: workDir}})
  return image
}
