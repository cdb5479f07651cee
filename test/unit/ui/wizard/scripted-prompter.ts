import type {Choice, Prompter} from '../../../../src/ui/wizard/prompter.js'

/**
 * A person at the keyboard, as a script: each answer in order. An input answer that its
 * validate refuses is recorded with the message, and the next answer is typed instead, as
 * a person retypes after the message under the prompt.
 */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = []
  readonly refused: {message: string; answer: string; why: string}[] = []

  constructor(private readonly answers: unknown[]) {}

  private next(message: string): unknown {
    this.asked.push(message)
    if (!this.answers.length) throw new Error(`no scripted answer left for "${message}"`)
    return this.answers.shift()
  }

  async select<T>(message: string, choices: readonly Choice<T>[]): Promise<T> {
    const a = this.next(message) as T
    if (!choices.some((c) => c.value === a)) throw new Error(`"${String(a)}" is not a choice of "${message}"`)
    return a
  }

  async checkbox<T>(message: string, _choices: readonly Choice<T>[], validate?: (v: readonly T[]) => true | string | Promise<true | string>): Promise<T[]> {
    const a = this.next(message) as T[]
    const ok = validate ? await validate(a) : true
    if (ok !== true) throw new Error(`checkbox answer refused: ${ok}`)
    return a
  }

  async input(message: string, options: {default?: string; validate?: (v: string) => true | string | Promise<true | string>} = {}): Promise<string> {
    for (;;) {
      const a = String(this.next(message))
      const value = a === '' && options.default !== undefined ? options.default : a
      const ok = options.validate ? await options.validate(value) : true
      if (ok === true) return value
      this.refused.push({message, answer: a, why: ok})
    }
  }

  async confirm(message: string): Promise<boolean> {
    return this.next(message) as boolean
  }

  get left(): number {
    return this.answers.length
  }
}
