import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { buildSendEffect } from '../whatsapp/buildSendEffect.js';
import { renderMessage, type FlowSet } from './decide.js';
import { flowSpec, type ActionSpec, type FlowSpec, type MessageSpec } from './flowSchema.js';
import { TASKS } from './tasks/index.js';
import { placeholdersOf, renderText, TEXT_VARIABLES, type TextCatalog, type TextVars } from './texts.js';
import { LOCALES, type DistributiveOmit, type Locale, type SendEffect } from './types.js';
import type { WhatsAppTemplateSet } from './whatsappTemplates.js';

/** Values every flow text may use: the fixed ones and whatever a task provides. */
const KNOWN_VALUES = new Set<string>([
  ...TEXT_VARIABLES,
  ...Object.values(TASKS).flatMap((task) => task.provides),
]);

/** Sample options for checking `choices` messages: three short ones fit buttons. */
const SAMPLE_CHOICES = [
  { id: 'a', title: '09:00' },
  { id: 'b', title: '12:30' },
  { id: 'c', title: '17:00' },
];

/** A flow file that cannot be used; the message names the file, the step and the problem. */
export class FlowFileError extends Error {
  constructor(
    readonly file: string,
    problems: string[],
  ) {
    super(`${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FlowFileError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const [first, second, ...rest] = issue.path.map(String);
  const where =
    first === 'steps' && second
      ? `step "${second}"${rest.length ? ` at ${rest.join('.')}` : ''}`
      : issue.path.join('.') || 'file';
  return `${where}: ${issue.message}`;
}

/**
 * Loads and checks every `*.yaml` flow in `dir`: the shape, that every goto/flow target exists,
 * that every text exists, and that every message, rendered in every locale, is one WhatsApp
 * accepts (button and row limits). Nothing half-valid starts.
 *
 * @throws {FlowFileError} for the first file with problems, listing all of them.
 */
export async function loadFlows(
  dir: string,
  texts: TextCatalog,
  vars: Record<Locale, TextVars>,
  options: { entry?: string; waTemplates?: WhatsAppTemplateSet } = {},
): Promise<FlowSet> {
  const entry = options.entry ?? 'main';
  const files = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  const flows = new Map<string, FlowSpec>();
  const sources = new Map<string, string>();
  for (const name of files) {
    const file = path.join(dir, name);
    let raw: unknown;
    try {
      raw = parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new FlowFileError(file, [`not valid YAML: ${(error as Error).message}`]);
    }
    const parsed = flowSpec.safeParse(raw);
    if (!parsed.success) throw new FlowFileError(file, parsed.error.issues.map(describeIssue));
    if (flows.has(parsed.data.id)) {
      throw new FlowFileError(file, [
        `flow id "${parsed.data.id}" is also used by ${sources.get(parsed.data.id)}`,
      ]);
    }
    flows.set(parsed.data.id, parsed.data);
    sources.set(parsed.data.id, file);
  }
  if (!flows.has(entry))
    throw new FlowFileError(dir, [`no flow with id "${entry}", where conversations start`]);

  const global = new Map<string, { flow: string; action: ActionSpec }>();
  for (const flow of flows.values()) {
    for (const [trigger, action] of Object.entries(flow.global ?? {})) {
      const other = global.get(trigger);
      if (other) {
        throw new FlowFileError(sources.get(flow.id) as string, [
          `global "${trigger}" is also handled by ${sources.get(other.flow)}`,
        ]);
      }
      global.set(trigger, { flow: flow.id, action });
    }
  }

  for (const flow of flows.values()) {
    const problems = checkFlow(flow, flows, texts, vars, options.waTemplates);
    if (problems.length > 0) throw new FlowFileError(sources.get(flow.id) as string, problems);
  }
  return { flows, global, entry };
}

function checkFlow(
  flow: FlowSpec,
  flows: Map<string, FlowSpec>,
  texts: TextCatalog,
  vars: Record<Locale, TextVars>,
  waTemplates: WhatsAppTemplateSet | undefined,
): string[] {
  const problems: string[] = [];
  if (!flow.steps[flow.start]) problems.push(`start: no step "${flow.start}"`);

  const checkMessages = (where: string, messages: MessageSpec[] | undefined) => {
    for (const [index, message] of (messages ?? []).entries()) {
      if ('notify' in message && waTemplates && !waTemplates.byName.has(message.notify)) {
        problems.push(`${where}: message ${index + 1}: no WhatsApp template "${message.notify}"`);
        continue;
      }
      for (const locale of LOCALES) {
        try {
          const draft = renderMessage(
            message,
            `${flow.id}/${where}`,
            (key) => {
              const unknown = placeholdersOf(texts[locale][key] ?? '').filter(
                (p) => !KNOWN_VALUES.has(p.name),
              );
              if (unknown.length > 0)
                throw new Error(`text "${key}" uses {${unknown[0]?.name}}, which no task provides`);
              return renderText(texts, locale, key, vars[locale]);
            },
            {
              items: () => SAMPLE_CHOICES,
              notify: (name) => {
                const key = waTemplates?.textKeys.get(name);
                return { type: 'SendText', text: key ? renderText(texts, locale, key, vars[locale]) : name };
              },
            },
          );
          buildSendEffect('0', draft as DistributiveOmit<SendEffect, 'id'>);
        } catch (error) {
          problems.push(`${where}: message ${index + 1} in ${locale}: ${(error as Error).message}`);
        }
      }
    }
  };
  const checkAction = (where: string, action: ActionSpec, choices: Set<string> | null, trigger?: string) => {
    checkMessages(where, action.say);
    if (action.do) {
      const task = TASKS[action.do];
      if (!task) problems.push(`${where}: no task "${action.do}"`);
      else
        for (const outcome of Object.keys(action.then ?? {}))
          if (!task.outcomes.includes(outcome))
            problems.push(
              `${where}: task ${action.do} has no outcome "${outcome}" (it has ${task.outcomes.join(', ')})`,
            );
    } else if (action.then) problems.push(`${where}: "then" needs a task in "do"`);
    for (const [outcome, branch] of Object.entries(action.then ?? {}))
      checkAction(`${where} then ${outcome}`, branch, choices);
    if (action.goto) {
      const [targetFlow, targetStep] = action.goto.includes('.')
        ? action.goto.split('.')
        : [flow.id, action.goto];
      const target = flows.get(targetFlow as string);
      if (!target) problems.push(`${where}: goto "${action.goto}": no flow "${targetFlow}"`);
      else if (!target.steps[targetStep as string])
        problems.push(`${where}: goto "${action.goto}": no step "${targetStep}"`);
    }
    if (action.flow && !flows.has(action.flow))
      problems.push(`${where}: flow "${action.flow}" does not exist`);
    if (choices && trigger?.startsWith('choice:') && !choices.has(trigger.slice('choice:'.length))) {
      problems.push(`${where}: ${trigger} is not a button or row this step sends`);
    }
  };

  for (const [stepId, step] of Object.entries(flow.steps)) {
    const where = `step "${stepId}"`;
    checkMessages(stepId, step.say);
    const choices = new Set(
      (step.say ?? []).flatMap((message) =>
        'buttons' in message
          ? message.buttons.options.map((o) => o.id)
          : 'list' in message
            ? message.list.sections.flatMap((section) => section.rows.map((row) => row.id))
            : 'choices' in message
              ? (message.choices.extra ?? []).map((o) => o.id)
              : // A template asks for a written yes or no, which the engine reads as these choices.
                'notify' in message
                ? ['yes', 'no']
                : [],
      ),
    );
    if (step.prepare) checkAction(`${where} prepare`, step.prepare, null);
    for (const [trigger, action] of Object.entries(step.on ?? {}))
      checkAction(`${where} on ${trigger}`, action, choices, trigger);
    if (step.otherwise) checkAction(`${where} otherwise`, step.otherwise, null);
  }
  for (const [trigger, action] of Object.entries(flow.global ?? {}))
    checkAction(`global ${trigger}`, action, null);
  return problems;
}
