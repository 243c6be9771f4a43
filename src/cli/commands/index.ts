import type { Command } from 'commander';
import { registerBackends } from './backends.js';
import { registerEval } from './eval.js';
import { registerConformance } from './conformance.js';
import { registerProbe } from './probe.js';
import { registerSandbox } from './sandbox.js';
import { registerExec } from './exec.js';
import { registerShell } from './shell.js';
import { registerRecord } from './record.js';
import { registerBench } from './bench.js';
import { registerTrain } from './train.js';
import { registerSample } from './sample.js';
import { registerCorpus } from './corpus.js';
import { registerDemo } from './demo.js';
import { registerModel } from './model.js';
import { registerGym } from './gym.js';
import { registerReport } from './report.js';
import { registerView } from './view.js';
import { registerServe } from './serve.js';
import { registerTier3 } from './tier3.js';
import { registerTokenizer } from './tokenizer.js';

/** One line per subcommand module. */
export const COMMANDS: ((program: Command) => void)[] = [
  registerBackends,
  registerEval,
  registerSandbox,
  registerProbe,
  registerConformance,
  registerExec,
  registerShell,
  registerRecord,
  registerBench,
  registerTrain,
  registerTokenizer,
  registerSample,
  registerCorpus,
  registerDemo,
  registerModel,
  registerServe,
  registerReport,
  registerGym,
  registerView,
  registerTier3,
];
