#!/usr/bin/env node
// Entry point: oclif reads the command manifest and imports only the command being run.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
