import { BadRequestException } from '@nestjs/common';

export interface Template {
  template_id: string;
  channel: string;
  subject: string;
  /** With `{{variable}}` placeholders. */
  body: string;
  /** The variables its subject and body use: what `data` must hold to send it, no more. */
  variables: readonly string[];
}

const PLACEHOLDER = /\{\{([a-z_][a-z0-9_]*)\}\}/gi;

function template(template_id: string, subject: string, body: string): Template {
  const variables = [...new Set([...`${subject} ${body}`.matchAll(PLACEHOLDER)].map((m) => m[1]))];
  return Object.freeze({ template_id, channel: 'email', subject, body, variables });
}

/** The templates, by id; a prototype name such as `constructor` is not one of them. */
export const TEMPLATES: Readonly<Record<string, Template>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Template>, {
    welcome: template('welcome', 'Welcome', 'Hello {{name}}, welcome aboard.'),
    'order-confirmation': template(
      'order-confirmation',
      'Order {{order_id}} confirmed',
      'We have your order {{order_id}}.',
    ),
    'payment-receipt': template(
      'payment-receipt',
      'Receipt',
      'We received {{amount}} {{currency}}.',
    ),
  }),
);

export function findTemplate(id: string): Template | undefined {
  return Object.hasOwn(TEMPLATES, id) ? TEMPLATES[id] : undefined;
}

/**
 * Fills a template's placeholders from `data`. Every variable the template uses must be
 * there and nothing else may be: a typo would otherwise send `Hello {{name}}` to a customer,
 * or be dropped without a word. One 400 lists every problem.
 */
export function render(
  template: Template,
  data: Readonly<Record<string, unknown>>,
): { subject: string; body: string } {
  const problems = [
    ...template.variables
      .filter((name) => !Object.hasOwn(data, name))
      .map((name) => `data.${name} is required by template ${template.template_id}`),
    ...Object.keys(data)
      .filter((name) => !template.variables.includes(name))
      .map((name) => `data.${name} is not a variable of template ${template.template_id}`),
  ];
  if (problems.length > 0) throw new BadRequestException(problems);
  const fill = (text: string) => text.replace(PLACEHOLDER, (_, name: string) => String(data[name]));
  return { subject: fill(template.subject), body: fill(template.body) };
}
