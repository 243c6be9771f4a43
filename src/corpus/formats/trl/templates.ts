/**
 * Chat templates for TRL's SFTTrainer (`assistant_only_loss=True` trains only on the tokens
 * inside {% generation %} ... {% endgeneration %}). ChatML markup; swap the markup for your
 * model's own, keeping the generation markers where they are.
 *
 *   POLICY_TEMPLATE     loss on the agent's commands (assistant messages) only.
 *   ECHO_TEMPLATE       loss on commands AND terminal outputs (every message after the task
 *                       prompt): the ECHO-style full-transcript SFT arm, no loss on system/task.
 *   WORLDMODEL_TEMPLATE role-swapped data: loss on the assistant messages, which are outputs.
 */
const HEAD = `{%- for message in messages %}\n`;
const TAIL = `{%- endfor %}\n{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}\n`;
const PLAIN = `{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}`;
const TRAINED = `{{- '<|im_start|>' + message['role'] + '\\n' }}{% generation %}{{- message['content'] + '<|im_end|>\\n' }}{% endgeneration %}`;

export const POLICY_TEMPLATE = `${HEAD}{%- if message['role'] == 'assistant' %}${TRAINED}\n{%- else %}${PLAIN}\n{%- endif %}\n${TAIL}`;
export const ECHO_TEMPLATE = `${HEAD}{%- if loop.index0 >= 2 %}${TRAINED}\n{%- else %}${PLAIN}\n{%- endif %}\n${TAIL}`;
export const WORLDMODEL_TEMPLATE = POLICY_TEMPLATE;
