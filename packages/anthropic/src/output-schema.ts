import type { NativeOutputSchema } from '@keel/core';

/**
 * Anthropic's native structured output is tool use: the schema becomes a tool's `input_schema`
 * and `tool_choice` forces that tool, so the model's answer is the tool call's input. Any JSON
 * Schema with an object at the root fits (a tool's input is always an object).
 */
export function supportsOutputSchema(_model: string, schema: Readonly<Record<string, unknown>>): boolean {
  return schema['type'] === 'object';
}

/** The request fields that force the answer through the schema's tool. */
export function outputSchemaFields(output: NativeOutputSchema): Record<string, unknown> {
  return {
    tools: [{ name: output.name, description: 'Record the answer in this exact structure.', input_schema: output.schema }],
    tool_choice: { type: 'tool', name: output.name },
  };
}

/** A content block that is the forced tool's call: its input is the answer. */
export function isOutputToolUse(block: { readonly type: string; readonly name?: string }, output: NativeOutputSchema | undefined): boolean {
  return output !== undefined && block.type === 'tool_use' && block.name === output.name;
}
