/** Every task family, one folder each; adding one = a folder + a line here. */
import { archiveExtract } from './archive-extract/index.js';
import { cleanupTmp } from './cleanup-tmp/index.js';
import { configEdit } from './config-edit/index.js';
import { countMatches } from './count-matches/index.js';
import { csvSum } from './csv-sum/index.js';
import { findCopy } from './find-copy/index.js';
import { fixPython } from './fix-python/index.js';
import { gitCommit } from './git-commit/index.js';
import { largestFile } from './largest-file/index.js';
import { logUnique } from './log-unique/index.js';
import { makeExecutable } from './make-executable/index.js';
import { renameExt } from './rename-ext/index.js';
import { fixSymlink } from './fix-symlink/index.js';
import { jsonField } from './json-field/index.js';
import { rankNames } from './rank-names/index.js';
import { replaceText } from './replace-text/index.js';
import type { TaskFamily } from './types.js';

export const TASK_FAMILIES: readonly TaskFamily[] = [
  findCopy,
  fixPython,
  countMatches,
  renameExt,
  csvSum,
  configEdit,
  logUnique,
  makeExecutable,
  archiveExtract,
  gitCommit,
  cleanupTmp,
  largestFile,
  jsonField,
  replaceText,
  rankNames,
  fixSymlink,
];
