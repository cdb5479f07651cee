/**
 * The four kinds of question the wizard asks, behind one small interface so the steps do not
 * depend on @inquirer/prompts directly. Every validate runs as the answer is submitted: a
 * string is shown under the prompt and the same prompt stays open.
 */
export interface Choice<T> {
  name: string
  value: T
  description?: string
  checked?: boolean
}

export type Validate<T> = (value: T) => true | string | Promise<true | string>

export interface Prompter {
  select<T>(message: string, choices: readonly Choice<T>[], defaultValue?: T): Promise<T>
  checkbox<T>(message: string, choices: readonly Choice<T>[], validate?: Validate<readonly T[]>): Promise<T[]>
  input(message: string, options?: {default?: string; validate?: Validate<string>}): Promise<string>
  confirm(message: string, defaultValue: boolean): Promise<boolean>
}

/** The user pressed Ctrl-C in a prompt (inquirer's ExitPromptError). */
export function isPromptExit(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError'
}

export async function inquirerPrompter(): Promise<Prompter> {
  const {checkbox, confirm, input, select} = await import('@inquirer/prompts')
  return {
    select: (message, choices, defaultValue) => select({message, choices: [...choices], ...(defaultValue !== undefined ? {default: defaultValue} : {}), loop: false}),
    checkbox: (message, choices, validate) =>
      checkbox({message, choices: [...choices], loop: false, ...(validate ? {validate: (picked) => validate(picked.map((c) => c.value))} : {})}),
    input: (message, options = {}) => input({message, ...(options.default !== undefined ? {default: options.default} : {}), ...(options.validate ? {validate: options.validate} : {})}),
    confirm: (message, defaultValue) => confirm({message, default: defaultValue}),
  }
}
