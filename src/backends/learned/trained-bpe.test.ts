/**
 * The BPE tokenizer end to end (issue 15's tokenizer lever): a tiny model (d=32, 2 layers, T=128,
 * framing "state") with "tokenizer": "bpe" trained in the test on the synthetic state world: tw
 * train learns the merges, writes them into the run and every checkpoint; the learned backend
 * frames its context in the model's ids, its output is the decode of the tokens it generated, and
 * the streamed chunks concatenate to that output. A checkpoint whose tokenizer does not match is
 * refused with the fix.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, FIRST_MERGE, TOKENIZER_FILE } from '../../model/bpe.js';
import { loadModel } from '../../model/checkpoint.js';
import { EOT, EXIT, CMD } from '../../model/framing.js';
import { Sampler } from '../../model/sampler.js';
import { fitStateContext } from '../../model/stateframing.js';
import OpenAI from 'openai';
import { replyTokens } from '../../serve/reply.js';
import { startServe } from '../../serve/server.js';
import { renderChatML, WORLDMODEL_SYSTEM } from '../../serve/worldmodel.js';
import { trainTinyStateModel } from '../../train/fixtures.js';
import { learnedBackend, unloadAll } from './index.js';
import { LearnedTerminal } from './terminal.js';

let model = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-learned-bpe-'));
  model = await trainTinyStateModel(dir, { sessions: 400, steps: 150, model: { tokenizer: 'bpe', vocab: 320 } });
}, 180_000);

afterAll(async () => {
  await unloadAll();
});

describe('a BPE model trained in the test', () => {
  it('saves its merges with the checkpoint and learns to use them', () => {
    const { info, tokenizer } = loadModel(model);
    expect(info.model).toMatchObject({ tokenizer: 'bpe', vocab: 320 });
    expect(tokenizer).toBeInstanceOf(BpeTokenizer);
    const tok = tokenizer as BpeTokenizer;
    expect(tok.merges.length).toBeGreaterThan(20);
    expect(info.tokenizerSha256).toBe(tok.hash);
    expect(readFileSync(join(model, TOKENIZER_FILE), 'utf8')).toBe(readFileSync(join(dir, 'run', TOKENIZER_FILE), 'utf8'));
    const meta = JSON.parse(readFileSync(join(dir, 'run', 'meta.json'), 'utf8')) as { data: { tokens: { train: number }; bytes: { train: number } } };
    // the same sessions in fewer positions
    expect(meta.data.bytes.train / meta.data.tokens.train).toBeGreaterThan(1.5);
    const losses = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; loss?: number })
      .filter((l) => l.kind === 'train')
      .map((l) => l.loss as number);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 2);
  });

  it("the backend's output is the decode of its generated tokens, and the stream concatenates to it", async () => {
    const sampler = await Sampler.load(model, 1);
    const tok = sampler.tokenizer;
    const t = await learnedBackend.start({ options: { model } });
    if (!(t instanceof LearnedTerminal)) throw new Error('expected a LearnedTerminal');
    let merged = 0;
    for (const cmd of ['echo hello > a.txt', 'cat a.txt', 'X=world', 'echo $X', 'cat nofile']) {
      // what the backend will see: its own history, in the model's ids
      const inner = t as unknown as { history: Parameters<typeof fitStateContext>[0]; windowStart: number };
      const { tokens: prompt } = fitStateContext(inner.history, '/root', inner.windowStart, cmd, 128, 32, tok);
      const [g] = await sampler.generate([prompt], { maxTokens: 128 - prompt.length, temperature: 0, stop: [EOT, CMD] });
      const gen = g?.tokens ?? [];
      merged += gen.filter((x) => x >= FIRST_MERGE).length;
      const ex = gen.indexOf(EXIT);
      const chunks: Buffer[] = [];
      const turn = await t.run(cmd, { onOutput: (c) => chunks.push(Buffer.from(c)) });
      expect(turn.logprobs?.length).toBe(gen.length);
      expect(Buffer.from(turn.output).equals(Buffer.from(tok.decode(ex < 0 ? gen : gen.slice(0, ex))))).toBe(true);
      expect(Buffer.concat(chunks).equals(Buffer.from(turn.output))).toBe(true);
      // each log-probability's token width, and tw serve's OpenAI tokens: the model's own tokens, whose bytes
      // concatenate to the output, each with its own log-probability; the rest sums into the [exit N] trailer
      expect(turn.tokenBytes).toEqual(gen.map((id) => tok.bytesOf(id).length));
      const reply = `${turn.output.toString('utf8')}[exit ${turn.exit}]`;
      const entries = replyTokens(turn, reply) ?? [];
      const outIds = ex < 0 ? gen : gen.slice(0, ex);
      const whole = entries.slice(0, outIds.length);
      expect(Buffer.from(whole.flatMap((e) => e.bytes)).equals(Buffer.from(turn.output))).toBe(true);
      whole.forEach((e, i) => expect(e.logprob).toBe(turn.logprobs?.[i]));
      const trailer = entries[outIds.length];
      expect(trailer?.token).toBe(`[exit ${turn.exit}]`);
      expect(trailer?.logprob).toBeCloseTo(
        (turn.logprobs ?? []).slice(outIds.length).reduce((a, b) => a + b, 0),
        9,
      );
    }
    // the model writes merged ids, not only bytes
    expect(merged).toBeGreaterThan(0);
    await t.close();
    await sampler.release();
  });

  it('tw serve gives the official openai client the tokens of the model, when generating and when scoring', async () => {
    const srv = await startServe({ backend: learnedBackend, backendName: 'learned', modelId: 'bpe', baseOptions: { model }, port: 0 });
    try {
      const ai = new OpenAI({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
      const messages = [
        { role: 'system' as const, content: WORLDMODEL_SYSTEM },
        { role: 'user' as const, content: 'echo hello > a.txt' },
        { role: 'assistant' as const, content: '[exit 0]' },
        { role: 'user' as const, content: 'cat a.txt' },
      ];
      const r = await ai.chat.completions.create({ model: 'bpe', messages, logprobs: true });
      const text = r.choices[0]?.message.content ?? '';
      const content = r.choices[0]?.logprobs?.content ?? [];
      // every token's bytes, in order, are the reply's bytes
      expect(Buffer.from(content.flatMap((c) => c.bytes ?? [])).toString('utf8')).toBe(text);
      // (which tokens it wrote: see the replyTokens checks above; the scoring below holds merges for sure)
      // scoring given text: the output tokens are the model's encoding of it, their widths and bytes given
      const prompt = renderChatML(messages);
      const s = await ai.completions.create({ model: 'bpe', prompt: prompt + 'hello\r\n[exit 0]', echo: true, max_tokens: 0, logprobs: 1 });
      const ext = (s as unknown as { tw_scores: { output_tokens: number; output_bytes: number; output_token_bytes: number[] } }).tw_scores;
      expect(ext.output_bytes).toBe(7);
      expect(ext.output_token_bytes.reduce((a, b) => a + b, 0)).toBe(7);
      expect(ext.output_tokens).toBeLessThan(7);
      const toks = s.choices[0]?.logprobs?.tokens ?? [];
      expect(toks.slice(1, 1 + ext.output_tokens).join('')).toBe('hello\r\n');
    } finally {
      await srv.close();
    }
  });

  it('refuses a checkpoint whose tokenizer does not match, saying how to fix it', () => {
    const bad = join(dir, 'bad');
    cpSync(model, bad, { recursive: true });
    rmSync(join(bad, TOKENIZER_FILE));
    expect(() => loadModel(bad)).toThrow(/tokenizer "bpe".*no tokenizer\.json/);
    // another tokenizer of the same size
    const other = new BpeTokenizer([[104, 101]], 320);
    writeFileSync(join(bad, TOKENIZER_FILE), other.serialize());
    expect(() => loadModel(bad)).toThrow(/tokenizer does not match.*sha256/);
    // a bytes checkpoint with a tokenizer.json beside it
    const bytes = join(dir, 'bytes');
    cpSync('models/terminal-small', bytes, { recursive: true });
    copyFileSync(join(model, TOKENIZER_FILE), join(bytes, TOKENIZER_FILE));
    expect(() => loadModel(bytes)).toThrow(/tokenizer "bytes".*tokenizer\.json/);
  });
});
