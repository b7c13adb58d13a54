// The checker: rules the schema cannot express (DESIGN §3), one small function each with its
// own code, registered here in code order (as Langium registers validations). It runs on a
// schema-valid Spec and reports every problem it finds, not just the first. Adding a rule:
// write it beside its kin (backbone, sizes, flow, score, train, heads), take the next free code,
// list it here; test/compiler/rules.test.ts gives each rule a failing and a passing case.
import type { Diagnostic } from '../../grammar/index.ts';
import type { Spec } from '../spec.ts';
import type { Located } from '../validate.ts';
import { alpha, noWeights, tapOrder, unknownTap } from './backbone.ts';
import { checkContext, runRules, type Rule } from './context.ts';
import { couplingSplit, flowPosition, subnetEnd } from './flow.ts';
import { gaussianChannels, headModelSource, headScale, headsCalibrate, headUndeclared, knnAggregate } from './heads.ts';
import { calibrateFuse, calibrateSplit, scoreScale, smoothTooWide } from './score.ts';
import { headsDivide, inputTooSmall, memoryTokens, patchCount, patchDivides, tokenGrid } from './sizes.ts';
import { noStages, stageLoss, sweepKey } from './train.ts';

export const RULES: readonly Rule[] = [
  unknownTap, // DADF4001
  alpha, // DADF4002
  patchCount, // DADF4003
  patchDivides, // DADF4004
  tokenGrid, // DADF4005
  headsDivide, // DADF4006
  memoryTokens, // DADF4007
  couplingSplit, // DADF4008
  tapOrder, // DADF4009
  stageLoss, // DADF4010
  sweepKey, // DADF4011
  scoreScale, // DADF4012
  noWeights, // DADF4013
  subnetEnd, // DADF4014
  noStages, // DADF4015
  inputTooSmall, // DADF4016
  calibrateFuse, // DADF4020
  calibrateSplit, // DADF4021
  flowPosition, // DADF4022
  headUndeclared, // DADF4023
  headModelSource, // DADF4024
  headScale, // DADF4025
  headsCalibrate, // DADF4026
  knnAggregate, // DADF4027
  gaussianChannels, // DADF4028
  smoothTooWide, // DADF4029
];

export function checkSpec(spec: Spec, where: Located): Diagnostic[] {
  return runRules(RULES, checkContext(spec, where));
}
